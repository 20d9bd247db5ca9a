// Typed errors of the email channel: callers branch on `code`, never on the message text.
export type EmailChannelErrorCode =
  | 'INVALID_REFERENCE_NUMBER'
  | 'INVALID_PARSE_LIMITS';

export class EmailChannelError extends Error {
  readonly code: EmailChannelErrorCode;

  constructor(code: EmailChannelErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EmailChannelError';
    this.code = code;
  }
}
