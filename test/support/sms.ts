/**
 * A real Switchboard with the SMS channel configured against a FakeTwilio: the provider's API base URL
 * is the fake's, and the webhook base URL is the Switchboard's own (so the fake signs exactly the URL
 * it posts to, and the status callback URLs Switchboard gives it lead back here).
 */
import { createServer } from 'node:net';
import type { Sql } from 'postgres';
import type { ConfigInput } from '../../src/config/schema.ts';
import { TOKENS, twoAgentConfig } from './configs.ts';
import { FakeTwilio } from './fake-twilio.ts';
import { startTestSwitchboard, type TestSwitchboard } from './switchboard.ts';

export const COMPANY_NUMBER = '+14155550100';
export const CUSTOMER = '+14155550123';
export { TOKENS };

export interface SmsTestBed {
  sb: TestSwitchboard;
  twilio: FakeTwilio;
  /** URL of a provider's inbound webhook (default: the Twilio provider "twilio"). */
  inboundUrl(provider?: string): string;
  statusUrl(provider?: string): string;
  stop(): Promise<void>;
}

/** A port free right now (the Switchboard must know its public URL before it starts). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export type SmsConfigInput = Pick<ConfigInput, 'smsProviders' | 'smsNumbers'> & Partial<ConfigInput>;

/** Adds to the SMS configuration; `baseUrl` is the Switchboard's own (for further providers' webhookBaseUrl). */
export type SmsConfigExtra = (base: SmsConfigInput, baseUrl: string) => SmsConfigInput;

/** The two-agent configuration plus one Twilio provider and one long code; `extra` may add more. */
export function smsConfig(twilio: FakeTwilio, baseUrl: string, extra: SmsConfigExtra = (base) => base): ConfigInput {
  const base: SmsConfigInput = {
    smsProviders: [
      { id: 'twilio', type: 'twilio', accountSid: twilio.accountSid, authToken: twilio.authToken, baseUrl: twilio.url, webhookBaseUrl: baseUrl },
    ],
    smsNumbers: [
      {
        number: COMPANY_NUMBER,
        kind: 'long',
        provider: 'twilio',
        acknowledgement: 'Thanks, we got your message. Reference {reference}.',
        helpTemplate: 'Acme support: reply STOP to opt out. Help: acme.example',
        maxSegments: 2,
        masking: { rules: [{ name: 'card', pattern: '\\b\\d{13,19}\\b', show: 'last4' }], keepOriginal: false },
      },
    ],
  };
  return twoAgentConfig(extra(base, baseUrl));
}

export async function startSmsTestBed(extra?: SmsConfigExtra): Promise<SmsTestBed> {
  const twilio = await FakeTwilio.start();
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const sb = await startTestSwitchboard(smsConfig(twilio, baseUrl, extra), { port });
  return {
    sb,
    twilio,
    inboundUrl: (provider = 'twilio') => `${sb.url}/webhooks/sms/${provider}`,
    statusUrl: (provider = 'twilio') => `${sb.url}/webhooks/sms/${provider}/status`,
    async stop() {
      await sb.stop();
      await twilio.close();
    },
  };
}

/** How many rows the SMS intake path writes, to prove a refused request stored nothing. */
export interface StoredRows {
  interactions: number;
  messages: number;
  inbound: number;
  opt_outs: number;
  originals: number;
}

export async function storedRows(sql: Sql): Promise<StoredRows> {
  const [row] = await sql<StoredRows[]>`
    select (select count(*)::int from interactions) as interactions, (select count(*)::int from messages) as messages,
           (select count(*)::int from sms_inbound) as inbound, (select count(*)::int from sms_opt_out_events) as opt_outs,
           (select count(*)::int from sms_originals) as originals`;
  if (!row) throw new Error('no counts');
  return { ...row };
}
