import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDuration } from '../../src/config/duration.ts';
import { parseConfig, parseConfigText } from '../../src/config/load-config.ts';
import { compileCategories } from '../../src/engine/categorize.ts';
import { configProblems } from '../support/config-problems.ts';
import { twoAgentConfig } from '../support/configs.ts';

const problems = configProblems;

describe('configuration', () => {
  it('parses durations', () => {
    expect(parseDuration('30s')).toBe(30_000);
    expect(parseDuration('10m')).toBe(600_000);
    expect(parseDuration('1500ms')).toBe(1_500);
    expect(parseDuration(250)).toBe(250);
    expect(parseDuration('soon')).toBeNull();
  });

  it('accepts a valid configuration, with defaults', () => {
    const config = parseConfig(twoAgentConfig({ notReadyReasons: undefined }));
    expect(config.routing.offerTimeout).toBe(1_500);
    expect(config.notReadyReasons).toEqual(['Admin Work', 'Lunch', 'Meeting', 'Pause', 'Training']);
  });

  it('names the key of an invalid regular expression', () => {
    const config = twoAgentConfig();
    config.categories[0]!.rules = ['ok', '(unclosed'];
    expect(problems(config)).toEqual([expect.stringMatching(/^categories\.0\.rules\.1: invalid regular expression/)]);
  });

  it('names unknown references, duplicates and bad values', () => {
    const config = twoAgentConfig();
    config.categories[1]!.workgroup = 'ghosts';
    config.users!.push({ ...config.users![2]!, token: 'another-token-0123456789' });
    expect(problems(config)).toEqual(['users.4.id: duplicate id "alice"', 'categories.1.workgroup: unknown workgroup "ghosts"']);
    const values = twoAgentConfig();
    values.users![3]!.skills = { billing: 11 };
    (values.routing as Record<string, unknown>).offerTimeout = 'later';
    expect(problems(values)).toEqual([
      expect.stringMatching(/^users\.3\.skills\.billing: /),
      expect.stringMatching(/^routing\.offerTimeout: invalid duration/),
    ]);
  });

  it('reads YAML and JSON and reports syntax errors', () => {
    expect(() => parseConfigText('users: [', 'x.yaml')).toThrow(/x\.yaml is not valid YAML or JSON/);
    expect(parseConfigText(JSON.stringify(twoAgentConfig()), 'x.json').categories).toHaveLength(2);
  });

  it('categorizes by the first matching rule, else the default category', () => {
    const config = parseConfig(twoAgentConfig());
    const categorizer = compileCategories(config.categories);
    expect(categorizer.categorize('About my INVOICE', 'hi').category.id).toBe('billing');
    expect(categorizer.categorize(null, 'I was charged twice').category.id).toBe('billing');
    expect(categorizer.categorize('Hello', 'where is my parcel').category.id).toBe('general');
  });

  it('`switchboard config check` validates a file without applying it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'switchboard-config-'));
    const good = join(dir, 'good.json');
    const bad = join(dir, 'bad.yaml');
    writeFileSync(good, JSON.stringify(twoAgentConfig()));
    writeFileSync(bad, 'categories:\n  - id: x\n    workgroup: nowhere\n    rules: ["[a-"]\ndispositions: [{ code: done }]\n');
    const ok = spawnSync(process.execPath, ['bin/switchboard.mjs', 'config', 'check', good], { encoding: 'utf8' });
    expect(ok.status).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ valid: true });
    const fail = spawnSync(process.execPath, ['bin/switchboard.mjs', 'config', 'check', bad], { encoding: 'utf8' });
    expect(fail.status).toBe(1);
    const report = JSON.parse(fail.stdout) as { valid: boolean; errors: string[] };
    expect(report.valid).toBe(false);
    expect(report.errors).toEqual(
      expect.arrayContaining([expect.stringMatching(/^categories\.0\.rules\.0: invalid regular expression/), 'categories.0.workgroup: unknown workgroup "nowhere"']),
    );
  });
});
