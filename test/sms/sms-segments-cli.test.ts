// `switchboard sms-segments`, run as a user runs it: a separate process through bin/switchboard.mjs.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

function runCli(args: string[], stdin?: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/switchboard.mjs', 'sms-segments', ...args], { cwd: root });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin ?? '');
  });
}

const lines = (text: string): unknown[] =>
  text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as unknown);

describe('switchboard sms-segments', () => {
  it('prints exactly encoding, segments and characters for the argument', async () => {
    const result = await runCli(['hello']);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('{"encoding":"GSM-7","segments":1,"characters":5}\n');
  });

  it('counts unicode and long arguments', async () => {
    expect(lines((await runCli(['Привет 👋'])).stdout)).toEqual([{ encoding: 'UCS-2', segments: 1, characters: 8 }]);
    expect(lines((await runCli(['a'.repeat(161)])).stdout)).toEqual([{ encoding: 'GSM-7', segments: 2, characters: 161 }]);
  });

  it('reads one JSON string per stdin line with "-"', async () => {
    const input = ['"hello"', JSON.stringify('€'.repeat(81)), JSON.stringify('😜'.repeat(36)), '"line\\nbreak"'].join('\n') + '\n';
    const result = await runCli(['-'], input);
    expect(result.code).toBe(0);
    expect(lines(result.stdout)).toEqual([
      { encoding: 'GSM-7', segments: 1, characters: 5 },
      { encoding: 'GSM-7', segments: 2, characters: 81 },
      { encoding: 'UCS-2', segments: 2, characters: 36 },
      { encoding: 'GSM-7', segments: 1, characters: 10 },
    ]);
  });

  it('prints an error object for each line that is not a JSON string, and exits 1 at the end', async () => {
    const result = await runCli(['-'], '"ok"\n42\nnot json\n\n"fine"\r\n{"text":"x"}');
    expect(result.code).toBe(1);
    const output = lines(result.stdout);
    expect(output).toHaveLength(6);
    expect(output[0]).toEqual({ encoding: 'GSM-7', segments: 1, characters: 2 });
    for (const index of [1, 2, 3, 5]) {
      expect(output[index]).toEqual({ error: { code: 'INVALID_INPUT', message: expect.stringContaining(`line ${index + 1}:`) as unknown } });
    }
    expect(output[4]).toEqual({ encoding: 'GSM-7', segments: 1, characters: 4 });
  });

  it('prints nothing and exits 0 for empty stdin', async () => {
    expect(await runCli(['-'], '')).toMatchObject({ code: 0, stdout: '' });
  });

  it('prints usage and exits 2 without exactly one argument', async () => {
    const none = await runCli([]);
    expect(none.code).toBe(2);
    expect(none.stdout).toBe('');
    expect(none.stderr).toContain('usage: switchboard sms-segments');
    expect((await runCli(['a', 'b'])).code).toBe(2);
  });
});
