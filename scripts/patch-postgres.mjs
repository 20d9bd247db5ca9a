#!/usr/bin/env node
/**
 * Run after `npm install` (the `postinstall` script): rewrites the two classes of postgres.js that
 * declare a static `Symbol.species` getter in their class body (Query, a Promise; Result, an Array)
 * so that a static initialization block defines the same getter instead. The behaviour is the same
 * (the same non-enumerable, configurable accessor returning Promise or Array); the speed is not.
 *
 * On Node.js 20 (V8 11.3) a subclass of a built-in whose class body declares a static
 * `Symbol.species` getter never keeps an optimized constructor: TurboFan compiles it, and aborts the
 * compile at its end ("Bailed out due to dependency change": a map it relied on stopped being
 * stable), again and again for as long as the process runs. Every statement creates a Query and
 * every answer a Result, so a busy Switchboard spent a compiler thread's time on compiles thrown
 * away: about 900 ms of it in the 10 s of the SMS benchmark, and the constructors ran unoptimized.
 * `test/db/postgres-driver.test.ts` checks that they are optimized once and stay so.
 *
 * Idempotent; a postgres.js that no longer has the getter is left alone, with a note.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** The builds postgres.js ships (ESM, CommonJS, Cloudflare Workers), each with both classes. */
const BUILDS = ['src', 'cjs/src', 'cf/src'];
const FILES = ['query.js', 'result.js'];
const GETTER = /\n {2}static get \[Symbol\.species\]\(\) \{\n {4}return (\w+)\n {2}\}\n/;
const PATCHED = 'static { Object.defineProperty(this, Symbol.species';

function packageRoot() {
  try {
    // .../postgres/cjs/src/index.js, wherever npm put the package.
    return join(dirname(createRequire(import.meta.url).resolve('postgres')), '..', '..');
  } catch {
    return null;
  }
}

const root = packageRoot();
if (root === null) {
  console.log('patch-postgres: postgres is not installed; nothing to do');
  process.exit(0);
}

let patched = 0;
let missing = 0;
for (const build of BUILDS) {
  for (const name of FILES) {
    const file = join(root, build, name);
    let text;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    if (text.includes(PATCHED)) continue;
    const match = GETTER.exec(text);
    if (!match) {
      missing += 1;
      continue;
    }
    const block = `\n  static { Object.defineProperty(this, Symbol.species, { get() { return ${match[1]} }, configurable: true }) }\n`;
    writeFileSync(file, text.replace(GETTER, block));
    patched += 1;
  }
}
if (patched > 0) console.log(`patch-postgres: Symbol.species moved into a static block in ${patched} file(s) of ${root}`);
if (missing > 0) console.log(`patch-postgres: ${missing} file(s) of ${root} have no static Symbol.species getter to move; left as they are`);
