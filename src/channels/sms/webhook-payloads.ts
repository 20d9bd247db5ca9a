// What the webhooks carry, read from either wire format into one shape, with every problem reported
// as a VALIDATION_FAILED naming the fields at fault:
//
// - Twilio (application/x-www-form-urlencoded): inbound `MessageSid`, `From`, `To`, `Body`, `NumMedia`,
//   `MediaUrl<n>`, `MediaContentType<n>`; status callbacks `MessageSid`, `MessageStatus`, `ErrorCode`.
// - Generic (application/json, HMAC-SHA256 signed): inbound
//   `{ "id", "from", "to", "body", "media"?: [{ "url", "contentType"? }] }`; status
//   `{ "id", "status", "errorCode"? }`, `status` being one of Twilio's status words.
import { z } from 'zod';
import { SwitchboardError } from '../../errors.ts';
import { PROVIDER_STATUSES } from './delivery-status.ts';
import type { FormParams } from './form-params.ts';
import type { InboundMedia } from './receive-sms.ts';

/** Twilio's limit for one (concatenated) message. */
export const MAX_SMS_BODY_CHARACTERS = 1600;
const MAX_MEDIA = 10;

export interface InboundPayload {
  providerMessageId: string;
  from: string;
  to: string;
  body: string;
  media: InboundMedia[];
}

export interface StatusPayload {
  providerMessageId: string;
  providerStatus: string;
  errorCode: string | null;
}

const messageId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/, 'a provider message id is 1-128 letters, digits, "_", ".", ":" or "-"');
const address = z.string().min(1, 'is required').max(64);
const body = z.string().refine((text) => text.length <= MAX_SMS_BODY_CHARACTERS * 2 && Array.from(text).length <= MAX_SMS_BODY_CHARACTERS, {
  message: `at most ${MAX_SMS_BODY_CHARACTERS} characters`,
});
const status = z.string().refine((value) => Object.hasOwn(PROVIDER_STATUSES, value), {
  message: `one of ${Object.keys(PROVIDER_STATUSES).join(', ')}`,
});
const media = z.strictObject({ url: z.url().max(2048), contentType: z.string().max(255).nullable().default(null) });

const twilioInbound = z.object({
  MessageSid: messageId,
  From: address,
  To: address,
  Body: body,
  NumMedia: z.string().regex(/^\d{1,2}$/, 'a number').default('0'),
});
const twilioStatus = z.object({
  MessageSid: messageId,
  MessageStatus: status,
  ErrorCode: z.string().max(16).optional(),
});
const genericInbound = z.strictObject({
  id: messageId,
  from: address,
  to: address,
  body,
  media: z.array(media).max(MAX_MEDIA).default([]),
});
const genericStatus = z.strictObject({ id: messageId, status, errorCode: z.string().max(16).nullable().optional() });

function parse<T>(schema: z.ZodType<T>, input: unknown, what: string): T {
  const result = schema.safeParse(input, { reportInput: true });
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => ({
    path: issue.path.join('.') || '(body)',
    message: issue.code === 'invalid_type' && issue.input === undefined ? 'is required' : issue.message,
  }));
  throw new SwitchboardError('VALIDATION_FAILED', `invalid ${what}: ${problems.map((p) => `${p.path} ${p.message}`).join('; ')}`, problems);
}

/** Form parameters as single values; a parameter sent twice is refused (Twilio sends each once). */
function singleValues(params: FormParams, what: string): Record<string, string> {
  const values: Record<string, string> = {};
  for (const [name, value] of Object.entries(params)) {
    if (typeof value !== 'string') {
      throw new SwitchboardError('VALIDATION_FAILED', `invalid ${what}: ${name} is given more than once`, [{ path: name, message: 'is given more than once' }]);
    }
    values[name] = value;
  }
  return values;
}

export function readTwilioInbound(params: FormParams): InboundPayload {
  const values = singleValues(params, 'inbound message');
  const parsed = parse(twilioInbound, values, 'inbound message');
  const count = Math.min(Number(parsed.NumMedia), MAX_MEDIA);
  const items: InboundMedia[] = [];
  for (let index = 0; index < count; index += 1) {
    const url = values[`MediaUrl${index}`];
    if (url !== undefined) items.push({ url, contentType: values[`MediaContentType${index}`] ?? null });
  }
  return { providerMessageId: parsed.MessageSid, from: parsed.From, to: parsed.To, body: parsed.Body, media: items };
}

export function readTwilioStatus(params: FormParams): StatusPayload {
  const parsed = parse(twilioStatus, singleValues(params, 'status callback'), 'status callback');
  return { providerMessageId: parsed.MessageSid, providerStatus: parsed.MessageStatus, errorCode: parsed.ErrorCode ?? null };
}

export function readGenericInbound(json: unknown): InboundPayload {
  const parsed = parse(genericInbound, json, 'inbound message');
  return { providerMessageId: parsed.id, from: parsed.from, to: parsed.to, body: parsed.body, media: parsed.media };
}

export function readGenericStatus(json: unknown): StatusPayload {
  const parsed = parse(genericStatus, json, 'status report');
  return { providerMessageId: parsed.id, providerStatus: parsed.status, errorCode: parsed.errorCode ?? null };
}
