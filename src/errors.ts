/**
 * Every error Switchboard reports to a caller, declared in one place: a stable string code,
 * the HTTP status it maps to, and a default message.
 */
export const ERRORS = {
  VALIDATION_FAILED: { status: 400, message: 'The request is invalid' },
  INVALID_JSON: { status: 400, message: 'The request body is not valid JSON' },
  UNKNOWN_DISPOSITION: { status: 400, message: 'Unknown disposition code' },
  UNKNOWN_REASON: { status: 400, message: 'Unknown not-ready reason' },
  UNKNOWN_AGENT: { status: 400, message: 'Unknown agent' },
  UNKNOWN_WORKGROUP: { status: 400, message: 'Unknown workgroup' },
  UNAUTHENTICATED: { status: 401, message: 'A valid bearer token is required' },
  FORBIDDEN: { status: 403, message: 'Your role does not allow this' },
  NOT_YOUR_INTERACTION: { status: 403, message: 'Only the agent holding this offer or interaction may act on it' },
  NOT_FOUND: { status: 404, message: 'Not found' },
  INTERACTION_NOT_FOUND: { status: 404, message: 'Interaction not found' },
  INVALID_STATE: { status: 409, message: 'The interaction cannot do that in its current state' },
  CONFLICT: { status: 409, message: 'The resource changed concurrently; retry' },
  PAYLOAD_TOO_LARGE: { status: 413, message: 'The request body is too large' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'Unsupported content type' },
  RATE_LIMITED: { status: 429, message: 'Too many requests' },
  INVALID_SIGNATURE: { status: 403, message: 'The request signature is missing or does not match' },
  INVALID_PHONE_NUMBER: { status: 400, message: 'Not a valid phone number' },
  UNKNOWN_NUMBER: { status: 404, message: 'No SMS number is configured for this address' },
  UNKNOWN_SMS_PROVIDER: { status: 404, message: 'No SMS provider is configured with this id' },
  UNKNOWN_MESSAGE: { status: 404, message: 'No message is known by this id' },
  SMS_OPTED_OUT: { status: 409, message: 'The recipient has opted out of messages from this number' },
  SMS_TOO_MANY_SEGMENTS: { status: 400, message: 'The message needs more SMS segments than allowed' },
  NOT_AN_EMAIL_INTERACTION: { status: 409, message: 'This is not an email interaction' },
  CONFIG_INVALID: { status: 400, message: 'The configuration is invalid' },
  UNKNOWN_CONFIG_SECTION: { status: 404, message: 'No configuration section has this name' },
  CONFIG_ITEM_NOT_FOUND: { status: 404, message: 'No configuration item has this id' },
  CONFIG_VERSION_CONFLICT: { status: 409, message: 'The configuration changed since the version given; reload and retry' },
  UNKNOWN_RESPONSE: { status: 400, message: 'Unknown standard response' },
  RESPONSE_NOT_APPLICABLE: { status: 400, message: 'The standard response does not apply to this interaction' },
  UNKNOWN_STATUS_MESSAGE: { status: 400, message: 'Unknown status message' },
  NOT_SUPERVISED: { status: 403, message: 'This belongs to a workgroup you do not supervise' },
  REVIEW_NOT_FOUND: { status: 404, message: 'Review not found' },
  REVIEW_DECIDED: { status: 409, message: 'The review has been decided already' },
  REVIEW_PENDING: { status: 409, message: 'A reply on this interaction waits for review' },
  INTERNAL: { status: 500, message: 'Internal error' },
  UNAVAILABLE: { status: 503, message: 'Service unavailable' },
} as const;

export type ErrorCode = keyof typeof ERRORS;

export class SwitchboardError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: unknown;

  constructor(code: ErrorCode, message?: string, details?: unknown) {
    super(message ?? ERRORS[code].message);
    this.name = 'SwitchboardError';
    this.code = code;
    this.status = ERRORS[code].status;
    this.details = details;
  }
}

/** A configuration that cannot be used; `details` lists `path: problem` lines. */
export class ConfigError extends Error {
  readonly code = 'CONFIG_INVALID';
  readonly details: string[];

  constructor(message: string, details: string[]) {
    super(message);
    this.name = 'ConfigError';
    this.details = details;
  }
}
