/** The process environment, parsed once at start-up; a bad value stops start-up naming the variable. */
import { z } from 'zod';

const schema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().default('127.0.0.1'),
  DATABASE_URL: z.string().url().optional(),
  REDIS_URL: z.string().default('redis://127.0.0.1:6379'),
  SWITCHBOARD_CONFIG: z.string().optional(),
  SWITCHBOARD_QUEUE_PREFIX: z.string().regex(/^[A-Za-z0-9_-]+$/).default('sb'),
  SWITCHBOARD_DATA_DIR: z.string().default('./data'),
  EMBEDDED_POSTGRES_PORT: z.coerce.number().int().default(54329),
  /** How long a process may hold claimed outbox rows before another process takes them over. */
  SWITCHBOARD_OUTBOX_LEASE_MS: z.coerce.number().int().min(100).default(30_000),
  SWITCHBOARD_RELAY_POLL_MS: z.coerce.number().int().min(10).default(1_000),
  /** Interactions each process keeps as it last wrote them (0 keeps none; see src/engine/interaction-cache.ts). */
  SWITCHBOARD_INTERACTION_CACHE: z.coerce.number().int().min(0).default(10_000),
  /** How long a worker holds a job before others consider it stalled (after a crash). */
  SWITCHBOARD_JOB_LOCK_MS: z.coerce.number().int().min(1_000).default(30_000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export type Environment = z.infer<typeof schema>;

export function readEnvironment(env: NodeJS.ProcessEnv = process.env): Environment {
  const result = schema.safeParse(env);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new Error(`invalid environment:\n  ${problems.join('\n  ')}`);
  }
  return result.data;
}
