/** Real Switchboard processes for multi-process and crash tests: spawned, killed with SIGKILL, restarted. */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ConfigInput } from '../../src/config/schema.ts';
import { redisUrl } from './env.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface SwitchboardProcess {
  child: ChildProcess;
  output: string[];
  kill(signal?: NodeJS.Signals): Promise<number | null>;
}

export async function writeConfigFile(config: ConfigInput): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'switchboard-test-'));
  const file = join(dir, 'config.json');
  await writeFile(file, JSON.stringify(config));
  return file;
}

/** Starts `switchboard start` (workers only unless told) and resolves once it is up. */
export async function spawnSwitchboard(options: {
  databaseUrl: string;
  configFile: string;
  prefix: string;
  args?: string[];
  env?: Record<string, string>;
}): Promise<SwitchboardProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), 'start', ...(options.args ?? ['--workers-only'])], {
    cwd: ROOT,
    env: {
      ...process.env,
      DATABASE_URL: options.databaseUrl,
      REDIS_URL: redisUrl(),
      SWITCHBOARD_CONFIG: options.configFile,
      SWITCHBOARD_QUEUE_PREFIX: options.prefix,
      SWITCHBOARD_OUTBOX_LEASE_MS: '2000',
      SWITCHBOARD_RELAY_POLL_MS: '200',
      SWITCHBOARD_JOB_LOCK_MS: '2000',
      PORT: '0',
      LOG_LEVEL: 'info',
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      // Not left running behind the failure.
      child.kill('SIGKILL');
      reject(new Error(`switchboard process did not start:\n${output.join('')}`));
    }, 30_000);
    const onData = (chunk: Buffer) => {
      output.push(chunk.toString());
      if (/Switchboard (workers )?(is|are) running/.test(chunk.toString())) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`switchboard process exited with ${code}:\n${output.join('')}`));
    });
  });
  return {
    child,
    output,
    async kill(signal = 'SIGKILL') {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill(signal);
      return exited;
    },
  };
}
