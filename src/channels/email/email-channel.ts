// The email channel as a Switchboard process sees it: mailbox polling (BullMQ job schedulers, only
// in processes that run workers), the `email` sender the outbound worker uses for replies and
// acknowledgements, the email HTTP API, and the mailboxes' and SMTP server's health for /healthz.
// It reads the configuration in force on every poll and send, so with no mailboxes it polls nothing.
import type { ChannelContext, ChannelFactory, RunningChannel } from '../channel-module.ts';
import { engineTransactions } from '../channel-sender.ts';
import { EmailDirectory } from './email-directory.ts';
import { emailRoutes } from './email-routes.ts';
import { createEmailSender } from './email-sender.ts';
import { MailboxHealthBoard } from './mailbox-health.ts';
import { MailboxPoller } from './mailbox-poller.ts';
import { PollScheduler } from './poll-scheduler.ts';
import type { PollHooks } from './poll-types.ts';
import { SmtpTransports } from './smtp-transport.ts';

const HEALTH_REFRESH_MS = 5_000;

export interface EmailChannelOptions {
  hooks?: PollHooks;
  env?: NodeJS.ProcessEnv;
}

export function createEmailChannel(options: EmailChannelOptions = {}): ChannelFactory {
  return async (context: ChannelContext): Promise<RunningChannel> => {
    const logger = context.logger.child({ channel: 'email' });
    const directory = new EmailDirectory(context.config, options.env);
    const { sql } = context.database;
    const health = new MailboxHealthBoard(directory, context.workers);
    const transports = new SmtpTransports();
    const poller = new MailboxPoller({ engine: context.engine, sql, directory, logger, health, hooks: options.hooks });
    const scheduler = context.workers
      ? new PollScheduler({ connectRedis: context.connectRedis, prefix: context.queuePrefix, directory, poller, logger })
      : null;
    await scheduler?.start();

    await health.refresh(sql).catch(() => undefined);
    const refresher = setInterval(() => {
      health.refresh(sql).catch((error: unknown) => logger.debug({ err: error }, 'could not refresh mailbox health'));
    }, HEALTH_REFRESH_MS);
    refresher.unref();

    return {
      name: 'email',
      senders: new Map([['email', createEmailSender({ sql, transaction: engineTransactions(context.engine), directory, transports, logger })]]),
      routes: emailRoutes(directory),
      health: () => health.report(),
      stop: async () => {
        clearInterval(refresher);
        await scheduler?.stop();
        transports.close();
      },
    };
  };
}

export const emailChannel: ChannelFactory = createEmailChannel();
