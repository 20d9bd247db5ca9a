import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { run } from '../../src/cli/commands/classify-email.ts';

const root = join(import.meta.dirname, '../..');
const corpus = join(root, 'test/fixtures/email-corpus');

async function captured(args: string[]): Promise<{ code: number; lines: Record<string, unknown>[] }> {
  const chunks: string[] = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    chunks.push(String(chunk));
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  const code = await run(args);
  const lines = chunks.join('').trim().split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);
  return { code, lines };
}

describe('classify-email command', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('prints one JSON line per file and exits 0', async () => {
    const files = [join(corpus, 'ndr/sisimai-qmail-01.eml'), join(corpus, 'auto_reply/php-bounce-handler-vac3.eml'), join(corpus, 'new/mailparser-sparrow.eml')];
    const { code, lines } = await captured(files);
    expect(code).toBe(0);
    expect(lines.map((line) => [line['file'], line['kind']])).toEqual([
      [files[0], 'ndr'],
      [files[1], 'auto_reply'],
      [files[2], 'new'],
    ]);
    expect(lines[0]?.['bouncedMessageId']).toBe('<000000000.9999999999999.JavaMail.postmaster@mailhub>');
    expect(typeof lines[0]?.['reason']).toBe('string');
  });

  it('still prints a line for unreadable and unparseable files, then exits 1', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'classify-email-'));
    const broken = join(dir, 'broken.eml');
    writeFileSync(broken, 'To: nobody@example.test\r\n\r\nno sender here\r\n');
    const missing = join(dir, 'missing.eml');
    const good = join(corpus, 'reply/discourse-gmail_web.eml');
    const { code, lines } = await captured([broken, missing, good]);
    expect(code).toBe(1);
    expect(lines).toEqual([
      { file: broken, kind: null, reason: 'unparseable: no_from: no From header' },
      { file: missing, kind: null, reason: 'unreadable: ENOENT' },
      expect.objectContaining({ file: good, kind: 'reply' }),
    ]);
  });

  it('prints usage and exits 2 without files', async () => {
    expect((await captured([])).code).toBe(2);
  });

  it('runs through the switchboard binary', () => {
    const file = join(corpus, 'ndr/bounceparser-postfix.msg.eml');
    const result = spawnSync(process.execPath, [join(root, 'bin/switchboard.mjs'), 'classify-email', file], { encoding: 'utf8' });
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ file, kind: 'ndr', bouncedMessageId: '<20060527213404.GN13012@mta.domain-1.com>' });
  });
});
