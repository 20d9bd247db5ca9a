// The SMS channel as a Switchboard process sees it: the providers' webhooks and the segment preview
// endpoint, the `sms` sender the outbound worker uses, and the check of agents' SMS replies. It reads
// the configuration in force on every message, so with no SMS numbers configured it does nothing.
import type { ChannelFactory, RunningChannel } from '../channel-module.ts';
import { engineTransactions } from '../channel-sender.ts';
import { smsReplyCheck } from './reply-check.ts';
import { smsSegmentsRoute } from './segments-route.ts';
import { SmsDirectory } from './sms-directory.ts';
import { createSmsSender } from './sms-sender.ts';
import { smsWebhookRoutes } from './webhook-routes.ts';

export const smsChannel: ChannelFactory = async (context): Promise<RunningChannel> => {
  const directory = new SmsDirectory(context.config);
  const webhooks = smsWebhookRoutes({ engine: context.engine, directory, logger: context.logger.child({ channel: 'sms' }) });
  return {
    name: 'sms',
    senders: new Map([['sms', createSmsSender({ transaction: engineTransactions(context.engine), directory })]]),
    replyChecks: new Map([['sms', smsReplyCheck(directory)]]),
    routes: async (app, http) => {
      await app.register(webhooks);
      smsSegmentsRoute(app, http, directory);
    },
    health: () => ({
      providers: directory.providers().map((provider) => ({ id: provider.id, type: provider.type, secret: directory.secretOf(provider) !== undefined })),
      numbers: directory.numbers().length,
    }),
    stop: async () => {},
  };
};
