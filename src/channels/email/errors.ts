// Typed errors of the email channel: callers branch on `code`, never on the message text.
export type EmailChannelErrorCode =
  | 'INVALID_REFERENCE_NUMBER'
  | 'INVALID_PARSE_LIMITS'
  /** A mailbox id that is not (or no longer) configured. */
  | 'UNKNOWN_MAILBOX'
  /** A secret is to come from an environment variable that is not set. */
  | 'EMAIL_SECRET_MISSING'
  /** The mail server could not be reached, refused the login, or the connection broke. */
  | 'MAILBOX_UNAVAILABLE'
  /** The mail server answered something the poller cannot work with. */
  | 'MAILBOX_PROTOCOL_ERROR'
  /** No SMTP server is configured, so nothing can be sent. */
  | 'EMAIL_NOT_CONFIGURED'
  /** The address a message is to be sent from is not a configured address. */
  | 'EMAIL_UNKNOWN_ADDRESS'
  /** The SMTP server refused the message for good (5xx). */
  | 'EMAIL_REJECTED'
  /** The SMTP server could not take the message now (4xx, connection failure, timeout). */
  | 'EMAIL_SEND_DEFERRED';

export class EmailChannelError extends Error {
  readonly code: EmailChannelErrorCode;

  constructor(code: EmailChannelErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EmailChannelError';
    this.code = code;
  }
}
