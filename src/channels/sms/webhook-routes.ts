// The providers' webhooks, in an encapsulated Fastify scope whose body parsers keep the raw text
// (signatures are computed over it) and cap its size:
//
//   POST /webhooks/sms/:provider          an inbound message
//   POST /webhooks/sms/:provider/status   a delivery status report (our message id may be in ?messageId=)
//
// A Twilio provider posts application/x-www-form-urlencoded, signed with X-Twilio-Signature over the
// public URL (webhookBaseUrl + path + query) and the parameters; the answer is empty TwiML. A generic
// provider posts application/json signed with X-Switchboard-Signature/-Timestamp; the answer is JSON.
// No bearer token here: the signature is the authentication. A missing or wrong signature is 403
// INVALID_SIGNATURE and nothing is read further, let alone stored.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { Engine } from '../../engine/engine.ts';
import { SwitchboardError } from '../../errors.ts';
import { recordDeliveryStatus } from './delivery-status.ts';
import { InvalidPhoneNumberError } from './errors.ts';
import { parseFormParams } from './form-params.ts';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, verifyWebhookSignature } from './hmac-signature.ts';
import { normalizeNumber } from './phone.ts';
import { receiveSms, type InboundOutcome } from './receive-sms.ts';
import type { SmsProviderConfig } from './sms-config.ts';
import type { SmsDirectory } from './sms-directory.ts';
import { TWILIO_SIGNATURE_HEADER, verifyTwilioSignature } from './twilio-signature.ts';
import { readGenericInbound, readGenericStatus, readTwilioInbound, readTwilioStatus, type InboundPayload, type StatusPayload } from './webhook-payloads.ts';

/** Largest webhook body accepted (a 1,600-character message with ten media URLs fits many times over). */
export const WEBHOOK_BODY_LIMIT = 64 * 1024;
export const EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>';

const FORM = 'application/x-www-form-urlencoded';
const JSON_TYPE = 'application/json';
const SIGNATURE_PROBLEMS = {
  missing: 'is missing',
  malformed: 'is malformed',
  stale: 'has a timestamp outside the accepted window',
  mismatch: 'does not match',
} as const;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface SmsWebhookDeps {
  engine: Engine;
  directory: SmsDirectory;
  logger: Logger;
}

type ProviderRequest = FastifyRequest<{ Params: { provider: string }; Querystring: Record<string, string | undefined> }>;

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

function mediaType(request: FastifyRequest): string {
  return (header(request, 'content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

/** The URL the provider requested, as it signed it. */
function publicUrl(provider: SmsProviderConfig, request: FastifyRequest): string {
  return `${provider.webhookBaseUrl ?? `${request.protocol}://${request.host}`}${request.url}`;
}

function normalize(field: string, value: string): string {
  try {
    return normalizeNumber(value, { allowShortCode: true });
  } catch (error) {
    if (error instanceof InvalidPhoneNumberError) {
      throw new SwitchboardError('INVALID_PHONE_NUMBER', `${field}: ${error.message}`, [{ path: field, message: error.message }]);
    }
    throw error;
  }
}

export function smsWebhookRoutes(deps: SmsWebhookDeps) {
  const { engine, directory, logger } = deps;

  const requireProvider = (id: string): SmsProviderConfig => {
    const provider = directory.provider(id);
    if (provider === undefined) throw new SwitchboardError('UNKNOWN_SMS_PROVIDER', `no SMS provider "${id}" is configured`);
    return provider;
  };

  /** Checks the signature and returns the payload's fields; throws 415, 403 or 400 otherwise. */
  const authenticate = <T>(request: ProviderRequest, provider: SmsProviderConfig, read: { twilio: (params: ReturnType<typeof parseFormParams>) => T; generic: (json: unknown) => T }): T => {
    const raw = typeof request.body === 'string' ? request.body : '';
    const secret = directory.requireSecret(provider);
    const refuse = (reason: keyof typeof SIGNATURE_PROBLEMS): never => {
      logger.warn({ provider: provider.id, path: request.routeOptions.url, reason }, 'SMS webhook signature refused');
      throw new SwitchboardError('INVALID_SIGNATURE', `the request signature ${SIGNATURE_PROBLEMS[reason]}`);
    };
    if (provider.type === 'twilio') {
      if (mediaType(request) !== FORM) throw new SwitchboardError('UNSUPPORTED_MEDIA_TYPE', `a Twilio webhook is ${FORM}`);
      const params = parseFormParams(raw);
      const check = verifyTwilioSignature({ authToken: secret, url: publicUrl(provider, request), params, signature: header(request, TWILIO_SIGNATURE_HEADER) });
      if (!check.ok) refuse(check.reason);
      return read.twilio(params);
    }
    if (mediaType(request) !== JSON_TYPE) throw new SwitchboardError('UNSUPPORTED_MEDIA_TYPE', `a generic SMS webhook is ${JSON_TYPE}`);
    const check = verifyWebhookSignature({ secret, body: raw, signature: header(request, SIGNATURE_HEADER), timestamp: header(request, TIMESTAMP_HEADER) });
    if (!check.ok) refuse(check.reason);
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch {
      throw new SwitchboardError('INVALID_JSON');
    }
    return read.generic(json);
  };

  const answer = (reply: FastifyReply, provider: SmsProviderConfig, json: Record<string, unknown>) =>
    provider.type === 'twilio' ? reply.status(200).type('text/xml; charset=utf-8').send(EMPTY_TWIML) : reply.status(200).send(json);

  return async (scope: FastifyInstance): Promise<void> => {
    // Raw text for both formats: the signature is over the bytes as sent.
    scope.removeContentTypeParser(JSON_TYPE);
    for (const type of [JSON_TYPE, FORM]) {
      scope.addContentTypeParser(type, { parseAs: 'string', bodyLimit: WEBHOOK_BODY_LIMIT }, (_request, body, done) => done(null, body));
    }
    const config = {
      rateLimit: {
        max: (request: FastifyRequest) => directory.provider((request.params as { provider?: string }).provider ?? '')?.webhookRateLimitPerMinute ?? 120_000,
        timeWindow: '1 minute',
        keyGenerator: (request: FastifyRequest) => `sms-webhook:${request.ip}`,
      },
    };

    scope.post(
      '/webhooks/sms/:provider',
      { config, bodyLimit: WEBHOOK_BODY_LIMIT, schema: { tags: ['sms'], summary: 'Inbound SMS from a provider (signed)', security: [] } },
      async (request: ProviderRequest, reply) => {
        const provider = requireProvider(request.params.provider);
        const payload: InboundPayload = authenticate(request, provider, { twilio: readTwilioInbound, generic: readGenericInbound });
        const sender = normalize('From', payload.from);
        const to = normalize('To', payload.to);
        const number = directory.number(to);
        if (number === undefined || number.provider !== provider.id) {
          throw new SwitchboardError('UNKNOWN_NUMBER', `${to} is not an SMS number of provider "${provider.id}"`);
        }
        const outcome: InboundOutcome = await receiveSms(engine, directory, {
          provider: provider.id,
          providerMessageId: payload.providerMessageId,
          number,
          sender,
          body: payload.body,
          media: payload.media,
        });
        return answer(
          reply,
          provider,
          outcome.status === 'duplicate'
            ? { status: 'duplicate' }
            : { status: 'accepted', interactionId: outcome.interactionId, messageId: outcome.messageId, conversation: outcome.conversation },
        );
      },
    );

    scope.post(
      '/webhooks/sms/:provider/status',
      { config, bodyLimit: WEBHOOK_BODY_LIMIT, schema: { tags: ['sms'], summary: 'Delivery status report from a provider (signed)', security: [] } },
      async (request: ProviderRequest, reply) => {
        const provider = requireProvider(request.params.provider);
        const payload: StatusPayload = authenticate(request, provider, { twilio: readTwilioStatus, generic: readGenericStatus });
        const messageId = request.query.messageId;
        if (messageId !== undefined && !UUID.test(messageId)) throw new SwitchboardError('UNKNOWN_MESSAGE', `no message ${messageId}`);
        const outcome = await recordDeliveryStatus(engine, { provider: provider.id, ...payload, messageId: messageId ?? null });
        return answer(reply, provider, outcome.recorded ? { status: 'recorded', messageStatus: outcome.status } : { status: 'duplicate' });
      },
    );
  };
}
