// The SMS part of the configuration file: providers (where messages come from and go through) and the
// company's numbers (short codes, long codes, toll-free numbers) with what each does.
//
//   smsProviders:
//     - id: twilio-main
//       type: twilio                        # or "generic" (JSON webhooks signed with HMAC-SHA256)
//       accountSid: AC0123...
//       authTokenEnv: TWILIO_AUTH_TOKEN     # or authToken: "..." (the generic provider's signing secret)
//       baseUrl: https://api.twilio.com     # the Messages API (default)
//       webhookBaseUrl: https://sb.example.com   # the public URL the provider calls; signatures are checked against it
//   smsNumbers:
//     - number: "+14155550100"              # E.164, or a 5-6 digit short code
//       kind: long                          # short | long | tollfree
//       provider: twilio-main
//       category: general                   # applies when no screening rule matched
//       acknowledgement: "Thanks, we got your message (ref {reference})."   # or null for none
//       masking: { rules: [{ name: card, pattern: '\b\d{13,19}\b', show: last4 }], keepOriginal: false }
//       maxSegments: 10
import { z } from 'zod';
import { maskingRulesSchema } from './masking.ts';
import { normalizeNumber } from './phone.ts';
import { countSegments } from './segments.ts';

export const SMS_PROVIDER_TYPES = ['twilio', 'generic'] as const;
export const SMS_NUMBER_KINDS = ['short', 'long', 'tollfree'] as const;
export const DEFAULT_MAX_SEGMENTS = 10;
/** Twilio refuses bodies over 1,600 characters, which is 10 GSM-7 segments at most. */
export const MAX_SEGMENTS_LIMIT = 10;
/** Placeholders a template may use. */
export const TEMPLATE_PLACEHOLDERS = ['reference', 'number'] as const;

const providerId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'ids are 1-64 letters, digits, "_", "." or "-"');

const httpUrl = z
  .url()
  .refine((value) => /^https?:\/\//i.test(value), 'must be an http or https URL')
  .transform((value) => value.replace(/\/+$/, ''));

export const smsProviderSchema = z
  .strictObject({
    id: providerId,
    type: z.enum(SMS_PROVIDER_TYPES).default('twilio'),
    /** Twilio account SID (required for Twilio). */
    accountSid: z.string().regex(/^AC[0-9a-fA-F]{32}$/, 'a Twilio account SID is "AC" and 32 hex digits').optional(),
    /** Twilio auth token, or the generic provider's HMAC secret. Prefer authTokenEnv. */
    authToken: z.string().min(8, 'at least 8 characters').optional(),
    /** Name of the environment variable that holds the auth token. */
    authTokenEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name').optional(),
    /** Base URL of the provider's message API (Twilio: POST {baseUrl}/2010-04-01/Accounts/{sid}/Messages.json). */
    baseUrl: httpUrl.default('https://api.twilio.com'),
    /**
     * The public base URL the provider calls (as configured there, before any proxy). Twilio signs the
     * URL it requested, so signatures are checked against webhookBaseUrl + path + query, and status
     * callback URLs are built from it. Without it the request's own Host header is used.
     */
    webhookBaseUrl: httpUrl.optional(),
    /** Webhook requests per minute accepted from one address. */
    webhookRateLimitPerMinute: z.number().int().min(1).default(120_000),
  })
  .superRefine((provider, ctx) => {
    if ((provider.authToken === undefined) === (provider.authTokenEnv === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'exactly one of authToken and authTokenEnv is needed', path: ['authToken'] });
    }
    if (provider.type === 'twilio' && provider.accountSid === undefined) {
      ctx.addIssue({ code: 'custom', message: 'a Twilio provider needs its accountSid', path: ['accountSid'] });
    }
  });

const template = z.string().min(1).max(1600);

export const smsMaskingSchema = z.strictObject({
  rules: maskingRulesSchema.default([]),
  /** Keep the unmasked text too (in a table of its own, never shown to agents or logged). */
  keepOriginal: z.boolean().default(false),
});

export const smsNumberSchema = z.strictObject({
  /** E.164 ("+14155550100", other spellings are normalized) or a 5-6 digit short code. */
  number: z.string().transform((value, ctx) => {
    try {
      return normalizeNumber(value, { allowShortCode: true });
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: (error as Error).message });
      return z.NEVER;
    }
  }),
  kind: z.enum(SMS_NUMBER_KINDS),
  provider: providerId,
  /** Category of a new interaction when no screening rule matched (else the configuration's default category). */
  category: providerId.optional(),
  /** Sent when a message starts a new interaction; `{reference}` is the interaction's reference. Null: none. */
  acknowledgement: template.nullable().default(null),
  helpTemplate: template.default('Reply STOP to unsubscribe. Msg&data rates may apply.'),
  optOutConfirmation: template.default('You have been unsubscribed and will receive no further messages. Reply START to resubscribe.'),
  optInConfirmation: template.default('You have been resubscribed. Reply STOP to unsubscribe.'),
  masking: smsMaskingSchema.default({ rules: [], keepOriginal: false }),
  maxSegments: z.number().int().min(1).max(MAX_SEGMENTS_LIMIT).default(DEFAULT_MAX_SEGMENTS),
});

export type SmsProviderConfig = z.output<typeof smsProviderSchema>;
export type SmsNumberConfig = z.output<typeof smsNumberSchema>;

/** Fills a template's `{reference}` and `{number}` placeholders. */
export function renderTemplate(text: string, values: { reference?: number | string; number?: string }): string {
  return text.replace(/\{(reference|number)\}/g, (placeholder, name: 'reference' | 'number') => {
    const value = values[name];
    return value === undefined ? placeholder : String(value);
  });
}

/**
 * Cross-references of the SMS configuration, for the configuration schema's superRefine: a number's
 * provider and category must exist, ids and numbers must be unique, a short code must be `kind: short`,
 * and every template must fit the number's segment limit.
 */
export function refineSmsConfig(
  config: { smsProviders: SmsProviderConfig[]; smsNumbers: SmsNumberConfig[]; categories: { id: string }[] },
  ctx: z.RefinementCtx,
): void {
  const providers = new Set<string>();
  config.smsProviders.forEach((provider, index) => {
    if (providers.has(provider.id)) ctx.addIssue({ code: 'custom', message: `duplicate id "${provider.id}"`, path: ['smsProviders', index, 'id'] });
    providers.add(provider.id);
  });
  const categories = new Set(config.categories.map((category) => category.id));
  const numbers = new Set<string>();
  config.smsNumbers.forEach((number, index) => {
    const at = (...path: (string | number)[]) => ['smsNumbers', index, ...path];
    if (numbers.has(number.number)) ctx.addIssue({ code: 'custom', message: `duplicate number "${number.number}"`, path: at('number') });
    numbers.add(number.number);
    if (!providers.has(number.provider)) ctx.addIssue({ code: 'custom', message: `unknown SMS provider "${number.provider}"`, path: at('provider') });
    if (number.category !== undefined && !categories.has(number.category)) {
      ctx.addIssue({ code: 'custom', message: `unknown category "${number.category}"`, path: at('category') });
    }
    const shortCode = !number.number.startsWith('+');
    if (shortCode !== (number.kind === 'short')) {
      ctx.addIssue({ code: 'custom', message: shortCode ? 'a short code needs kind "short"' : 'kind "short" needs a 5-6 digit short code', path: at('kind') });
    }
    const templates = { acknowledgement: number.acknowledgement, helpTemplate: number.helpTemplate, optOutConfirmation: number.optOutConfirmation, optInConfirmation: number.optInConfirmation };
    for (const [key, text] of Object.entries(templates)) {
      if (text === null) continue;
      const segments = countSegments(renderTemplate(text, { reference: 9_999_999_999, number: number.number })).segments;
      if (segments > number.maxSegments) {
        ctx.addIssue({ code: 'custom', message: `needs ${segments} segments; maxSegments is ${number.maxSegments}`, path: at(key) });
      }
    }
  });
}
