#!/usr/bin/env node
// Entry point for `npx switchboard <command>`: runs the TypeScript CLI through tsx.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const root = dirname(dirname(fileURLToPath(import.meta.url)));
const tsxCli = join(dirname(require.resolve('tsx/package.json')), 'dist', 'cli.mjs');
// A larger young generation (32 MiB semi-spaces): fewer, cheaper scavenges under load (see BENCHMARKS.md).
const result = spawnSync(process.execPath, [tsxCli, '--max-semi-space-size=32', join(root, 'src', 'cli', 'main.ts'), ...process.argv.slice(2)], {
  stdio: 'inherit',
});
process.exit(result.status ?? 1);
