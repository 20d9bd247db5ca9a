// Typed errors of the SMS channel: callers branch on `code` (or `retryable`), never on the message text.
export type SmsChannelErrorCode =
  | 'SMS_TOO_MANY_SEGMENTS'
  | 'INVALID_PHONE_NUMBER'
  | 'INVALID_MASKING_RULES'
  | 'SMS_PROVIDER_UNAVAILABLE'
  | 'SMS_PROVIDER_REJECTED'
  | 'SMS_PROVIDER_BAD_RESPONSE';

export class SmsChannelError extends Error {
  readonly code: SmsChannelErrorCode;
  /** True when sending the same request again later may succeed. */
  readonly retryable: boolean;

  constructor(code: SmsChannelErrorCode, message: string, options?: { cause?: unknown; retryable?: boolean }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SmsChannelError';
    this.code = code;
    this.retryable = options?.retryable ?? false;
  }
}

/** The text needs more segments than the caller allows. */
export class SmsTooLongError extends SmsChannelError {
  readonly segments: number;
  readonly maxSegments: number;

  constructor(segments: number, maxSegments: number) {
    super('SMS_TOO_MANY_SEGMENTS', `The message needs ${segments} segments; at most ${maxSegments} are allowed`);
    this.name = 'SmsTooLongError';
    this.segments = segments;
    this.maxSegments = maxSegments;
  }
}

/** The input is not a phone number this channel can send to or receive from. */
export class InvalidPhoneNumberError extends SmsChannelError {
  readonly input: string;

  constructor(input: string, reason: string) {
    super('INVALID_PHONE_NUMBER', `Not a valid phone number (${reason})`);
    this.name = 'InvalidPhoneNumberError';
    this.input = input;
  }
}

/** A masking rule set failed validation; `details` lists `path: problem` lines. */
export class InvalidMaskingRulesError extends SmsChannelError {
  readonly details: string[];

  constructor(details: string[]) {
    super('INVALID_MASKING_RULES', `Invalid masking rules: ${details.join('; ')}`);
    this.name = 'InvalidMaskingRulesError';
    this.details = details;
  }
}

/**
 * The provider could not take the message now (HTTP 429, 5xx, timeout or network failure).
 * Retry later with the same idempotency key; `retryAfterMs` comes from `Retry-After` when sent.
 */
export class SmsProviderRetryableError extends SmsChannelError {
  readonly status: number | undefined;
  readonly retryAfterMs: number | undefined;

  constructor(message: string, options: { status?: number; retryAfterMs?: number; cause?: unknown }) {
    super('SMS_PROVIDER_UNAVAILABLE', message, { cause: options.cause, retryable: true });
    this.name = 'SmsProviderRetryableError';
    this.status = options.status;
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** The provider refused the request (a 4xx other than 429); sending it again will fail the same way. */
export class SmsProviderRejectedError extends SmsChannelError {
  readonly status: number;
  /** The provider's own error code, e.g. Twilio 21211 for an invalid `To` number. */
  readonly providerCode: number | undefined;
  readonly providerMessage: string | undefined;
  readonly moreInfo: string | undefined;

  constructor(status: number, provider: { code?: number; message?: string; moreInfo?: string }) {
    const detail = provider.code === undefined ? '' : ` ${provider.code}`;
    super('SMS_PROVIDER_REJECTED', `The SMS provider rejected the message (HTTP ${status}${detail}): ${provider.message ?? 'no message'}`);
    this.name = 'SmsProviderRejectedError';
    this.status = status;
    this.providerCode = provider.code;
    this.providerMessage = provider.message;
    this.moreInfo = provider.moreInfo;
  }
}

/**
 * The provider answered with a success status but a body we cannot read. The message may have been
 * accepted, so this is not marked retryable: resending risks a duplicate.
 */
export class SmsProviderBadResponseError extends SmsChannelError {
  readonly status: number;

  constructor(status: number, reason: string) {
    super('SMS_PROVIDER_BAD_RESPONSE', `Unreadable SMS provider response (HTTP ${status}): ${reason}`);
    this.name = 'SmsProviderBadResponseError';
    this.status = status;
  }
}
