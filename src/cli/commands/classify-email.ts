// `switchboard classify-email <file.eml>...`: parses and classifies each file offline (no stored
// threads), printing one JSON line per file: {"file","kind","reason"} plus the optional fields of
// the classification. A file that cannot be read or parsed gets {"file","kind":null,"reason"} and
// makes the command exit 1 once every file has been handled.
import { readFile } from 'node:fs/promises';
import { classifyMessage } from '../../channels/email/classify.ts';
import { parseMessage } from '../../channels/email/parse-message.ts';

export async function run(args: string[]): Promise<number> {
  if (args.length === 0) {
    process.stderr.write('usage: switchboard classify-email <file.eml>...\n');
    return 2;
  }
  let failed = false;
  for (const file of args) {
    const line = await classifyFile(file);
    if (line.kind === null) failed = true;
    process.stdout.write(`${JSON.stringify(line)}\n`);
  }
  return failed ? 1 : 0;
}

type Line = { file: string; kind: string | null; reason: string } & Record<string, unknown>;

async function classifyFile(file: string): Promise<Line> {
  let raw: Buffer;
  try {
    raw = await readFile(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'EIO';
    return { file, kind: null, reason: `unreadable: ${code}` };
  }
  const parsed = await parseMessage(raw);
  if (parsed.quarantined) {
    const reason = parsed.code === 'unparseable' ? parsed.reason : `unparseable: ${parsed.reason}`;
    return { file, kind: null, reason };
  }
  const { kind, reason, ...details } = await classifyMessage(parsed);
  return { file, kind, reason, ...details };
}
