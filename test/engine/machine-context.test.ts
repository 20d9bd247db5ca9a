/**
 * XState as installed (scripts/patch-dependencies.mjs, run after `npm install`): `assign` builds the
 * next context by spreading, so that the interaction machine's context (29 fields) keeps a hidden
 * class in V8 instead of becoming a dictionary-mode object, as `Object.assign({}, ...)` made it once a
 * context had more than 16 fields: each field read a hash lookup, each transition's copy a walk of the
 * table.
 */
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

describe('XState as installed', () => {
  it('builds the next context by spreading in every build of assign', () => {
    const dist = dirname(createRequire(import.meta.url).resolve('xstate'));
    const chunks = readdirSync(dist).filter((file) => /^assign-[\w.-]+\.js$/.test(file));
    expect(chunks.length).toBeGreaterThanOrEqual(2);
    for (const chunk of chunks) {
      const text = readFileSync(join(dist, chunk), 'utf8');
      expect(text, chunk).toContain('const updatedContext = { ...snapshot.context, ...partialUpdate };');
      expect(text, chunk).not.toContain('Object.assign({}, snapshot.context, partialUpdate)');
    }
  });

  it("keeps the interaction machine's context in a hidden class through a lifecycle, with its fields in order", async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['--allow-natives-syntax', '--import', 'tsx', join(ROOT, 'test/support/context-shape.ts')], { cwd: ROOT });
    const { state, disposition, steps } = JSON.parse(stdout) as {
      state: unknown;
      disposition: string;
      steps: { event: string; fields: number; fast: boolean; sameKeys: boolean }[];
    };
    expect(state).toBe('closed');
    expect(disposition).toBe('resolved');
    expect(steps.map((step) => step.event)).toEqual(['xstate.init', 'ACKNOWLEDGE', 'CATEGORIZE', 'ENQUEUE', 'OFFER', 'ACCEPT', 'DONE', 'WRAP_UP']);
    // More fields than V8 keeps fast in an object that Object.assign fills one by one.
    expect(steps.every((step) => step.fields > 16)).toBe(true);
    // Unpatched, every one is false, the initial context included.
    expect(steps.filter((step) => !step.fast)).toEqual([]);
    expect(steps.every((step) => step.sameKeys)).toBe(true);
  });
});
