/**
 * `npm run replay -- <interaction-id> [--machine <file>]`: re-runs an interaction's stored events
 * through the machine (or another version of it, a module exporting `interactionMachine` or a default
 * machine) and prints the report; exits 1 when it is not consistent.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { AnyStateMachine } from 'xstate';
import { connectDatabase } from '../../db/client.ts';
import { replayInteraction } from '../../replay/replay.ts';
import { readEnvironment } from '../environment.ts';

async function loadMachine(file: string): Promise<AnyStateMachine> {
  const module = (await import(pathToFileURL(resolve(file)).href)) as { interactionMachine?: AnyStateMachine; default?: AnyStateMachine };
  const machine = module.interactionMachine ?? module.default;
  if (!machine) throw new Error(`${file} exports neither interactionMachine nor a default machine`);
  return machine;
}

export async function run(args: string[]): Promise<number> {
  const ids: string[] = [];
  let machineFile: string | undefined;
  let usage = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    if (arg === '--machine') {
      machineFile = args[++i];
      usage ||= machineFile === undefined;
    } else if (arg.startsWith('--')) {
      usage = true;
    } else {
      ids.push(arg);
    }
  }
  if (ids.length === 0 || usage) {
    process.stderr.write('usage: npm run replay -- <interaction-id>... [--machine <file>]\n');
    return 2;
  }
  const env = readEnvironment();
  if (!env.DATABASE_URL) {
    process.stderr.write('DATABASE_URL must name the database to replay from\n');
    return 2;
  }
  const machine = machineFile ? await loadMachine(machineFile) : undefined;
  const database = connectDatabase(env.DATABASE_URL, { max: 2 });
  let consistent = true;
  try {
    for (const id of ids) {
      const report = await replayInteraction(database.sql, id, machine);
      consistent &&= report.consistent;
      process.stdout.write(`${JSON.stringify(report)}\n`);
    }
  } finally {
    await database.close();
  }
  return consistent ? 0 : 1;
}
