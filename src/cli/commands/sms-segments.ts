// `switchboard sms-segments "<text>"`: prints {"encoding","segments","characters"} for the text.
// `switchboard sms-segments -`: reads standard input, one JSON string per line, and prints one result
// per input line, in order; a line that is not a JSON string (an empty line included) prints
// {"error":{"code":"INVALID_INPUT","message":...}} and makes the exit code 1 once all lines are done.
// (To count the text "-" itself, send it on standard input as "-".)
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { countSegments } from '../../channels/sms/segments.ts';

const USAGE = 'usage: switchboard sms-segments "<text>"   |   switchboard sms-segments -   (JSON strings on stdin, one per line)\n';

export interface CommandIo {
  stdin: Readable;
  stdout: Writable;
  stderr: Writable;
}

export async function run(args: string[], io: CommandIo = process): Promise<number> {
  if (args.length !== 1 || args[0] === undefined) {
    io.stderr.write(USAGE);
    return 2;
  }
  if (args[0] === '-') return countLines(io);
  io.stdout.write(`${describe(args[0])}\n`);
  return 0;
}

function describe(text: string): string {
  const { encoding, segments, characters } = countSegments(text);
  return JSON.stringify({ encoding, segments, characters });
}

async function countLines(io: CommandIo): Promise<number> {
  let exitCode = 0;
  let lineNumber = 0;
  for await (const line of createInterface({ input: io.stdin, crlfDelay: Infinity })) {
    lineNumber += 1;
    const text = parseJsonString(line);
    if (typeof text === 'string') {
      await write(io.stdout, `${describe(text)}\n`);
    } else {
      exitCode = 1;
      const error = { code: 'INVALID_INPUT', message: `line ${lineNumber}: ${text.problem}` };
      await write(io.stdout, `${JSON.stringify({ error })}\n`);
    }
  }
  return exitCode;
}

function parseJsonString(line: string): string | { problem: string } {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return { problem: line.trim() === '' ? 'empty line, expected a JSON string' : 'not valid JSON, expected a JSON string such as "hello"' };
  }
  if (typeof value !== 'string') {
    return { problem: `expected a JSON string, got ${value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value}` };
  }
  return value;
}

// Waits for the stream to drain when it is full, so large inputs do not pile up in memory.
function write(stream: Writable, chunk: string): Promise<void> {
  return new Promise((resolve) => {
    if (stream.write(chunk)) resolve();
    else stream.once('drain', resolve);
  });
}
