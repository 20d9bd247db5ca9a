// Sends one SMS through a generic aggregator: POST {baseUrl}/messages with the JSON
//   { "id", "from", "to", "body", "statusCallback"? }
// signed like every generic webhook (X-Switchboard-Signature / X-Switchboard-Timestamp, HMAC-SHA256 of
// "<timestamp>.<body>") and carrying `Idempotency-Key: <id>`. A 2xx answer is `{ "id", "status"? }`.
// Errors are classified as sendTwilioMessage classifies them: 429/5xx/network retryable, other 4xx
// rejected, an unreadable 2xx a bad response.
import { z } from 'zod';
import { signWebhook } from './hmac-signature.ts';
import { postToProvider } from './provider-request.ts';
import type { SentTwilioMessage } from './twilio-client.ts';

export const GENERIC_IDEMPOTENCY_HEADER = 'Idempotency-Key';
const DEFAULT_TIMEOUT_MS = 10_000;

export interface SendGenericMessageInput {
  baseUrl: string;
  secret: string;
  from: string;
  to: string;
  body: string;
  statusCallback?: string;
  idempotencyKey: string;
  timeoutMs?: number;
}

const createdSchema = z.object({ id: z.string().min(1), status: z.string().min(1).default('queued') });
const errorSchema = z.object({ code: z.number().int().optional().catch(undefined), message: z.string().optional().catch(undefined) });

export async function sendGenericMessage(input: SendGenericMessageInput): Promise<SentTwilioMessage> {
  const timeoutMs = input.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const payload = JSON.stringify({ id: input.idempotencyKey, from: input.from, to: input.to, body: input.body, statusCallback: input.statusCallback });
  return postToProvider(
    {
      provider: 'The SMS provider',
      url: `${input.baseUrl.replace(/\/+$/, '')}/messages`,
      headers: {
        'Content-Type': 'application/json',
        Accept: 'application/json',
        [GENERIC_IDEMPOTENCY_HEADER]: input.idempotencyKey,
        ...signWebhook({ secret: input.secret, body: payload }),
      },
      body: payload,
      timeoutMs,
    },
    {
      created: (json) => {
        const created = createdSchema.safeParse(json);
        return created.success ? { sid: created.data.id, status: created.data.status } : null;
      },
      rejection: (json) => {
        const error = errorSchema.safeParse(json);
        return error.success ? { code: error.data.code, message: error.data.message } : {};
      },
      expected: 'no message id in the body',
    },
  );
}
