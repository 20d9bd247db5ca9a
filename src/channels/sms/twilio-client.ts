// Sends one SMS through Twilio's Messages API (POST /2010-04-01/Accounts/{sid}/Messages.json).
// It makes exactly one attempt; retrying is the caller's job. Errors say whether a retry can help:
// - SmsProviderRetryableError (SMS_PROVIDER_UNAVAILABLE): HTTP 429 or 5xx, timeout, network failure.
//   `retryAfterMs` carries the `Retry-After` header when Twilio sent one. Retry with the same
//   idempotency key, so that an attempt that did reach Twilio is not sent twice.
// - SmsProviderRejectedError (SMS_PROVIDER_REJECTED): any other non-2xx, with Twilio's error code and
//   message (e.g. 21211 invalid 'To' number). Do not retry.
// - SmsProviderBadResponseError (SMS_PROVIDER_BAD_RESPONSE): a 2xx whose body has no sid/status. The
//   message may have been accepted; do not resend blindly.
import { z } from 'zod';
import { encodeFormParams } from './form-params.ts';
import { postToProvider } from './provider-request.ts';
import { parseRetryAfter } from './retry-after.ts';

export const TWILIO_API_BASE_URL = 'https://api.twilio.com';
export const IDEMPOTENCY_HEADER = 'I-Twilio-Idempotency-Token';
const DEFAULT_TIMEOUT_MS = 10_000;

export interface SendTwilioMessageInput {
  /** `https://api.twilio.com` in production; a fake server's URL in tests. */
  baseUrl: string;
  accountSid: string;
  authToken: string;
  from: string;
  to: string;
  body: string;
  statusCallback?: string;
  /** Stable per logical message (e.g. the outbound message's id), identical on every retry. */
  idempotencyKey: string;
  timeoutMs?: number;
}

export interface SentTwilioMessage {
  sid: string;
  /** Twilio's message status at creation, normally "queued" (or "accepted" with a Messaging Service). */
  status: string;
}

const createdMessageSchema = z.object({ sid: z.string().min(1), status: z.string().min(1) });
const twilioErrorSchema = z.object({
  code: z.number().int().optional().catch(undefined),
  message: z.string().optional().catch(undefined),
  more_info: z.string().optional().catch(undefined),
});

export async function sendTwilioMessage(input: SendTwilioMessageInput): Promise<SentTwilioMessage> {
  if (input.idempotencyKey === '') throw new RangeError('idempotencyKey must not be empty');
  const timeoutMs = input.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const url = `${input.baseUrl.replace(/\/+$/, '')}/2010-04-01/Accounts/${encodeURIComponent(input.accountSid)}/Messages.json`;
  const credentials = Buffer.from(`${input.accountSid}:${input.authToken}`, 'utf8').toString('base64');

  return postToProvider(
    {
      provider: 'Twilio',
      url,
      headers: {
        Authorization: `Basic ${credentials}`,
        'Content-Type': 'application/x-www-form-urlencoded',
        Accept: 'application/json',
        [IDEMPOTENCY_HEADER]: input.idempotencyKey,
      },
      body: encodeFormParams({ To: input.to, From: input.from, Body: input.body, StatusCallback: input.statusCallback }),
      timeoutMs,
    },
    {
      created: (json) => {
        const created = createdMessageSchema.safeParse(json);
        return created.success ? { sid: created.data.sid, status: created.data.status } : null;
      },
      rejection: (json) => {
        const error = twilioErrorSchema.safeParse(json);
        const details = error.success ? error.data : {};
        return { code: details.code, message: details.message, moreInfo: details.more_info };
      },
      expected: 'no message sid and status in the body',
    },
  );
}

export { parseRetryAfter };
