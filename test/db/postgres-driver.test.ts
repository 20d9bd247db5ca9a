/**
 * The Postgres driver as installed (scripts/patch-dependencies.mjs, run after `npm install`): postgres.js's
 * Query and Result keep their `Symbol.species` (what `then` and `map` build), and V8 optimizes their
 * constructors once, instead of compiling them again and again and throwing each compile away, as it
 * does on Node.js 20 for a subclass of a built-in whose class body declares a static species getter.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import postgres from 'postgres';
import { afterAll, describe, expect, it } from 'vitest';
import { adminDatabaseUrl } from '../support/env.ts';

const sql = postgres(adminDatabaseUrl(), { max: 2, onnotice: () => {} });
afterAll(async () => {
  await sql.end();
});

describe('postgres.js as installed', () => {
  it('defines Symbol.species in a static block in every build of Query and Result', () => {
    // .../postgres/cjs/src/index.js, as scripts/patch-dependencies.mjs finds it.
    const root = join(dirname(createRequire(import.meta.url).resolve('postgres')), '..', '..');
    for (const build of ['src', 'cjs/src', 'cf/src']) {
      for (const file of ['query.js', 'result.js']) {
        const text = readFileSync(join(root, build, file), 'utf8');
        expect(text, `${build}/${file}`).not.toMatch(/static get \[Symbol\.species\]/);
        expect(text, `${build}/${file}`).toContain('static { Object.defineProperty(this, Symbol.species');
      }
    }
  });

  it('keeps what then and map build: a plain Promise and a plain Array', async () => {
    const query = sql<{ x: number }[]>`select 1::int as x`;
    const then = query.then((rows) => rows);
    expect(then.constructor).toBe(Promise);
    const rows = await then;
    const mapped = rows.map((row) => row.x);
    expect(mapped.constructor).toBe(Array);
    expect(mapped).toEqual([1]);
    expect(rows.count).toBe(1);
    expect(rows.command).toBe('SELECT');
    const descriptor = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(query).constructor, Symbol.species);
    expect(descriptor).toMatchObject({ enumerable: false, configurable: true });
    expect(descriptor?.get?.()).toBe(Promise);
  });

  it('has V8 optimize the Query and Result constructors and keep them, over 12,000 statements', async () => {
    // A process of its own, so that V8's trace of its compiles covers the driver alone.
    const script = `
      import postgres from 'postgres';
      const sql = postgres(${JSON.stringify(adminDatabaseUrl())}, { max: 2, onnotice: () => {} });
      for (let i = 0; i < 6000; i++) await Promise.all([sql\`select \${i}::int as x\`, sql\`select 1 as y\`]);
      await sql.end();
    `;
    const { stdout } = await promisify(execFile)(process.execPath, ['--trace-opt', '--input-type=module', '-e', script], {
      cwd: fileURLToPath(new URL('../..', import.meta.url)),
      maxBuffer: 64 * 1024 * 1024,
    });
    const lines = stdout.split('\n');
    const about = (verb: string, name: string) => lines.filter((line) => line.startsWith(`[${verb} optimizing`) && line.includes(`<JSFunction ${name} `)).length;
    // Optimized (unpatched, Query never is in this loop: its 9 compiles and Result's 22 are all thrown away).
    expect(about('completed', 'Query')).toBeGreaterThanOrEqual(1);
    expect(about('completed', 'Result')).toBeGreaterThanOrEqual(1);
    // And never compiled again only to be thrown away.
    expect({ query: about('aborted', 'Query'), result: about('aborted', 'Result') }).toEqual({ query: 0, result: 0 });
  }, 60_000);
});
