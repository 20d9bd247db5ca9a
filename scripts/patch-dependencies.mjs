#!/usr/bin/env node
/**
 * Run after `npm install` (the `postinstall` script): two one-line changes to dependencies on the
 * engine's hot path, each with the same behaviour as the code it replaces and each working around how
 * Node.js 20's V8 (11.3) treats that code. Each is checked by a test.
 *
 * postgres.js (`test/db/postgres-driver.test.ts`): its Query (a Promise) and Result (an Array) declare
 * a static `Symbol.species` getter in their class bodies; a static initialization block now defines
 * the same getter (non-enumerable, configurable, returning Promise or Array). A subclass of a built-in
 * declared the first way never keeps an optimized constructor: TurboFan compiles it and aborts the
 * compile at its end ("Bailed out due to dependency change": a map it relied on stopped being
 * stable), again and again for as long as the process runs. Every statement creates a Query and every
 * answer a Result: a busy Switchboard spent a compiler thread's time on compiles thrown away (about
 * 900 ms of it in the 10 s of the SMS benchmark), and the constructors ran unoptimized.
 *
 * XState (`test/engine/machine-context.test.ts`): `assign` builds the next context with
 * `Object.assign({}, context, update)`, which V8 turns into a dictionary-mode object (a hash table
 * instead of a hidden class) once it has more than 16 properties, as the interaction machine's context
 * has; every read of a field is then a hash lookup, and every copy at the next `assign` walks the
 * table. It now builds it with `{ ...context, ...update }`: the same own enumerable properties in the
 * same order, in an object that keeps its hidden class. A transition of the interaction machine took
 * about 10 µs before, about 4 µs after.
 *
 * Idempotent, and never fails an install: a file that no longer has the code to replace, or that
 * cannot be written, is left as it is, with a note.
 */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);

/** A package's folder, wherever npm put it (found through a file its `main` names: `depth` folders below it). */
function packageRoot(name, depth) {
  try {
    return join(dirname(require.resolve(name)), ...Array(depth).fill('..'));
  } catch {
    return null;
  }
}

const PATCHES = [
  {
    name: 'postgres',
    // .../postgres/cjs/src/index.js
    root: () => packageRoot('postgres', 2),
    // Its three builds (ESM, CommonJS, Cloudflare Workers), each with both classes.
    files: (root) => ['src', 'cjs/src', 'cf/src'].flatMap((build) => ['query.js', 'result.js'].map((file) => join(root, build, file))),
    find: /\n {2}static get \[Symbol\.species\]\(\) \{\n {4}return (\w+)\n {2}\}\n/,
    replace: (match) => `\n  static { Object.defineProperty(this, Symbol.species, { get() { return ${match[1]} }, configurable: true }) }\n`,
    done: 'static { Object.defineProperty(this, Symbol.species',
  },
  {
    name: 'xstate',
    // .../xstate/dist/xstate.cjs.js
    root: () => packageRoot('xstate', 1),
    // Its builds (CommonJS and ESM, production and development) share `assign` through one chunk each.
    files: (root) => readdirSync(join(root, 'dist')).filter((file) => /^assign-[\w.-]+\.js$/.test(file)).map((file) => join(root, 'dist', file)),
    find: /const updatedContext = Object\.assign\(\{\}, snapshot\.context, partialUpdate\);/,
    replace: () => 'const updatedContext = { ...snapshot.context, ...partialUpdate };',
    done: 'const updatedContext = { ...snapshot.context, ...partialUpdate };',
  },
];

for (const patch of PATCHES) {
  const root = patch.root();
  if (root === null) {
    console.log(`patch-dependencies: ${patch.name} is not installed; nothing to do`);
    continue;
  }
  let patched = 0;
  let missing = 0;
  let files = [];
  try {
    files = patch.files(root);
  } catch {
    // a layout this script does not know: counted as nothing found below
  }
  if (files.length === 0) missing += 1;
  for (const file of files) {
    let text;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    if (text.includes(patch.done)) continue;
    const match = patch.find.exec(text);
    if (!match) {
      missing += 1;
      continue;
    }
    try {
      writeFileSync(file, text.replace(patch.find, patch.replace(match)));
      patched += 1;
    } catch (error) {
      // A read-only install keeps the dependency as it came: slower, never broken.
      console.log(`patch-dependencies: ${patch.name}: could not change ${file} (${error.code ?? error.message}); left as it is`);
    }
  }
  if (patched > 0) console.log(`patch-dependencies: ${patch.name}: ${patched} file(s) changed in ${root}`);
  if (missing > 0) console.log(`patch-dependencies: ${patch.name}: ${missing} file(s) of ${root} no longer have the code to change; left as they are`);
}
