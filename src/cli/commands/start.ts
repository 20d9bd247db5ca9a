/**
 * `npm start` / `switchboard start [--api-only|--workers-only]`: runs a Switchboard process.
 * Without DATABASE_URL it runs a real embedded Postgres in the data directory; without
 * SWITCHBOARD_CONFIG it runs the demo configuration and seeds a few interactions. The configuration in
 * force is the one stored in Postgres: the file seeds it, and is imported again (audited) when its
 * content changed since it was last imported; changes made through the admin API or
 * `switchboard config import` otherwise persist across restarts.
 */
import { pino } from 'pino';
import { loadConfigFile } from '../../config/load-config.ts';
import { startSwitchboard } from '../../switchboard.ts';
import { loadDemoConfig, seedDemo } from '../demo.ts';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../embedded-postgres.ts';
import { readEnvironment } from '../environment.ts';

export async function run(args: string[]): Promise<number> {
  const env = readEnvironment();
  const logger = pino({ level: env.LOG_LEVEL });
  const api = !args.includes('--workers-only');
  const workers = !args.includes('--api-only');
  // Listen for the stop signal from the first moment: a signal during start-up stops the process once
  // it is up, cleanly, rather than killing it half-started (and leaving an embedded Postgres behind).
  const stopRequested = new Promise<string>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });

  let embedded: EmbeddedDatabase | null = null;
  let databaseUrl = env.DATABASE_URL;
  if (!databaseUrl) {
    embedded = await startEmbeddedPostgres(env.SWITCHBOARD_DATA_DIR, env.EMBEDDED_POSTGRES_PORT, logger);
    databaseUrl = embedded.url;
  }
  const demo = env.SWITCHBOARD_CONFIG ? null : await loadDemoConfig(env.SWITCHBOARD_DATA_DIR);
  const config = demo ? demo.config : await loadConfigFile(env.SWITCHBOARD_CONFIG ?? '');

  let switchboard;
  try {
    switchboard = await startSwitchboard({
      databaseUrl,
      redisUrl: env.REDIS_URL,
      config,
      logger,
      queuePrefix: env.SWITCHBOARD_QUEUE_PREFIX,
      api,
      workers,
      port: env.PORT,
      host: env.HOST,
      outboxLeaseMs: env.SWITCHBOARD_OUTBOX_LEASE_MS,
      relayPollMs: env.SWITCHBOARD_RELAY_POLL_MS,
      jobLockMs: env.SWITCHBOARD_JOB_LOCK_MS,
      interactionCacheSize: env.SWITCHBOARD_INTERACTION_CACHE,
    });
  } catch (error) {
    await embedded?.stop();
    throw error;
  }

  if (demo) {
    const seeded = await seedDemo(switchboard.engine);
    const lines = [
      '',
      `Switchboard is running at ${switchboard.url} (demo configuration${embedded ? ', embedded Postgres in ' + env.SWITCHBOARD_DATA_DIR : ''}).`,
      seeded > 0 ? `Seeded ${seeded} demo interactions; they wait in the queue until an agent is available.` : '',
      'Tokens (also in data/demo-tokens.json):',
      ...Object.entries(demo.tokens).map(([user, token]) => `  ${user.padEnd(8)} ${token}`),
      '',
      'Try it:',
      `  curl -N -H "Authorization: Bearer ${demo.tokens.alice}" ${switchboard.url}/api/me/events`,
      `  curl -X PUT -H "Authorization: Bearer ${demo.tokens.alice}" -H "content-type: application/json" -d '{"status":"available"}' ${switchboard.url}/api/me/status`,
      `  API documentation: ${switchboard.url}/docs`,
      '',
    ];
    process.stdout.write(lines.filter((line, i) => line !== '' || i === 0 || i === lines.length - 1).join('\n') + '\n');
  } else if (switchboard.url) {
    logger.info({ url: switchboard.url }, 'Switchboard is running');
  } else {
    logger.info('Switchboard workers are running');
  }

  logger.info({ signal: await stopRequested }, 'shutting down');
  // A shutdown that cannot finish (its database gone, say) must still end the process.
  setTimeout(() => {
    logger.error('shutdown did not finish within 20 s; exiting');
    process.exit(1);
  }, 20_000).unref();
  await switchboard.close();
  await embedded?.stop();
  return 0;
}
