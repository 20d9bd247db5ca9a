// A process that polls one mailbox and is killed with SIGKILL right after the first capture committed,
// before the message is removed from the mailbox: the crash the capture must survive.
// Environment: DATABASE_URL, REDIS_URL, SWITCHBOARD_CONFIG, SWITCHBOARD_QUEUE_PREFIX, MAILBOX.
import { pino } from 'pino';
import { EmailDirectory } from '../../../src/channels/email/email-directory.ts';
import { MailboxPoller } from '../../../src/channels/email/mailbox-poller.ts';
import { loadConfigFile } from '../../../src/config/load-config.ts';
import { startSwitchboard } from '../../../src/switchboard.ts';

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};

const logger = pino({ level: 'silent' });
const switchboard = await startSwitchboard({
  databaseUrl: env('DATABASE_URL'),
  redisUrl: env('REDIS_URL'),
  config: await loadConfigFile(env('SWITCHBOARD_CONFIG')),
  logger,
  queuePrefix: env('SWITCHBOARD_QUEUE_PREFIX'),
  api: false,
  workers: false,
});
const poller = new MailboxPoller({
  engine: switchboard.engine,
  sql: switchboard.database.sql,
  directory: new EmailDirectory(switchboard.engine.config),
  logger,
  hooks: {
    afterCapture: (outcome) => {
      process.stdout.write(`committed ${JSON.stringify(outcome)}\n`, () => process.kill(process.pid, 'SIGKILL'));
      return new Promise<void>(() => {}); // never continues to the removal
    },
  },
});
const report = await poller.poll(env('MAILBOX'));
process.stdout.write(`poll ended without a capture: ${JSON.stringify(report)}\n`);
process.exit(3);
