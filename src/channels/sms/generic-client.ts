// Sends one SMS through a generic aggregator: POST {baseUrl}/messages with the JSON
//   { "id", "from", "to", "body", "statusCallback"? }
// signed like every generic webhook (X-Switchboard-Signature / X-Switchboard-Timestamp, HMAC-SHA256 of
// "<timestamp>.<body>") and carrying `Idempotency-Key: <id>`. A 2xx answer is `{ "id", "status"? }`.
// Errors are classified as sendTwilioMessage classifies them: 429/5xx/network retryable, other 4xx
// rejected, an unreadable 2xx a bad response.
import { z } from 'zod';
import { SmsProviderBadResponseError, SmsProviderRejectedError, SmsProviderRetryableError } from './errors.ts';
import { signWebhook } from './hmac-signature.ts';
import { parseRetryAfter, type SentTwilioMessage } from './twilio-client.ts';

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
  let status: number;
  let headers: Headers;
  let text: string;
  try {
    const response = await fetch(`${input.baseUrl.replace(/\/+$/, '')}/messages`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        Accept: 'application/json',
        [GENERIC_IDEMPOTENCY_HEADER]: input.idempotencyKey,
        ...signWebhook({ secret: input.secret, body: payload }),
      },
      body: payload,
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
    status = response.status;
    headers = response.headers;
    text = await response.text();
  } catch (error) {
    const timedOut = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
    throw new SmsProviderRetryableError(timedOut ? `The SMS provider did not answer within ${timeoutMs} ms` : 'Could not reach the SMS provider', { cause: error });
  }
  if (status >= 200 && status < 300) {
    const created = createdSchema.safeParse(parseJson(text));
    if (!created.success) throw new SmsProviderBadResponseError(status, 'no message id in the body');
    return { sid: created.data.id, status: created.data.status };
  }
  if (status === 429 || status >= 500) {
    throw new SmsProviderRetryableError(`The SMS provider answered HTTP ${status}`, { status, retryAfterMs: parseRetryAfter(headers.get('retry-after')) });
  }
  const error = errorSchema.safeParse(parseJson(text));
  throw new SmsProviderRejectedError(status, error.success ? { code: error.data.code, message: error.data.message } : {});
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
