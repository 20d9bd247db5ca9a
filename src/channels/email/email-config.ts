// The email part of the configuration file: the mailboxes Switchboard polls, the addresses they
// serve, the SMTP server it sends through, and channel-wide settings.
//
//   mailboxes:
//     - id: support-inbox
//       protocol: imap                      # or pop3
//       host: imap.example.com
//       port: 993                           # default: 993 (imap) / 995 (pop3) when secure, else 143 / 110
//       secure: true                        # TLS from the start; false: plaintext, or STARTTLS when offered
//       auth: { user: support@example.com, passwordEnv: SUPPORT_IMAP_PASSWORD }
//                                           # or password, or accessToken / accessTokenEnv (OAuth2, XOAUTH2)
//       folder: INBOX                       # IMAP only
//       afterCapture: move:Processed        # delete | move:<folder> (IMAP only) | keep
//       pollEvery: 30s
//       address: support@example.com        # applies when a message names none of the configured addresses
//   addresses:
//     - address: support@example.com
//       name: Example Support               # display name of what is sent from it
//       category: general                   # applies when no screening rule matched
//       acknowledgement:                    # or null for none
//         subject: "We received your message {token}"
//         body: "Dear {name},\n\nthank you for writing about \"{subject}\". Your reference is {reference}."
//   smtp:
//     host: smtp.example.com
//     port: 587
//     secure: false                         # STARTTLS when the server offers it
//     auth: { user: support@example.com, passwordEnv: SMTP_PASSWORD }
//   email:
//     acknowledgementWindow: 1h             # at most one acknowledgement per sender within it
//     maxMessageBytes: 41943040             # larger messages are quarantined
//     maxAttachmentBytes: 26214400
//     maxTotalAttachmentBytes: 31457280
//     maxPollBackoff: 5m                    # longest wait after repeated connection failures
//     captureConcurrency: 8                 # IMAP messages captured at once (in order per sender and thread)
//     messageIdDomain: mail.example.com     # right-hand side of sent Message-IDs (default: the sender's domain)
import { z } from 'zod';
import { duration } from '../../config/duration.ts';
import { DEFAULT_PARSE_LIMITS } from './parse-message.ts';

export const MAILBOX_PROTOCOLS = ['imap', 'pop3'] as const;
export type MailboxProtocol = (typeof MAILBOX_PROTOCOLS)[number];

/** Placeholders an acknowledgement template may use. */
export const ACKNOWLEDGEMENT_PLACEHOLDERS = ['name', 'address', 'subject', 'reference', 'token'] as const;
export type AcknowledgementPlaceholder = (typeof ACKNOWLEDGEMENT_PLACEHOLDERS)[number];

const id = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'ids are 1-64 letters, digits, "_", "." or "-"');
const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name');
const host = z.string().trim().min(1).max(253);
const port = z.number().int().min(1).max(65_535);
const emailAddress = z
  .string()
  .trim()
  .max(320)
  .regex(/^[^\s@<>()",;:]+@[^\s@<>()",;:]+\.[^\s@<>()",;:]+$/, 'an email address like name@example.com')
  .transform((value) => value.toLowerCase());

/** Credentials: a user with exactly one of a password or an OAuth2 access token, each inline or from the environment. */
export const credentialsSchema = z
  .strictObject({
    user: z.string().min(1).max(320),
    password: z.string().min(1).optional(),
    passwordEnv: envName.optional(),
    /** OAuth2 bearer token, sent with SASL XOAUTH2. */
    accessToken: z.string().min(1).optional(),
    accessTokenEnv: envName.optional(),
  })
  .superRefine((auth, ctx) => {
    const given = [auth.password, auth.passwordEnv, auth.accessToken, auth.accessTokenEnv].filter((value) => value !== undefined);
    if (given.length !== 1) {
      ctx.addIssue({ code: 'custom', message: 'exactly one of password, passwordEnv, accessToken and accessTokenEnv is needed', path: ['password'] });
    }
  });

export type CredentialsConfig = z.output<typeof credentialsSchema>;

/** What happens to a message in the mailbox once its interaction is committed. */
export type AfterCapture = { action: 'delete' } | { action: 'move'; folder: string } | { action: 'keep' };

/** `delete`, `keep` or `move:<folder>` as structured value; null when the text is none of them. */
export function parseAfterCapture(text: string): AfterCapture | null {
  const value = text.trim();
  if (value === 'delete' || value === 'keep') return { action: value };
  const folder = /^move:(.+)$/.exec(value)?.[1]?.trim();
  return folder ? { action: 'move', folder } : null;
}

/** The written form, `delete`, `keep` or `move:<folder>` (stored with each captured message too). */
export function formatAfterCapture(value: AfterCapture): string {
  return value.action === 'move' ? `move:${value.folder}` : value.action;
}

// Kept as text in the validated configuration (which is stored and validated again as a document).
const afterCapture = z.string().transform((text, ctx) => {
  const parsed = parseAfterCapture(text);
  if (parsed) return formatAfterCapture(parsed);
  ctx.addIssue({ code: 'custom', message: 'use "delete", "keep" or "move:<folder>"' });
  return z.NEVER;
});

/** What the mailbox does with captured messages. */
export function afterCaptureOf(mailbox: { afterCapture: string }): AfterCapture {
  return parseAfterCapture(mailbox.afterCapture) ?? { action: 'keep' };
}

export const mailboxSchema = z
  .strictObject({
    id,
    protocol: z.enum(MAILBOX_PROTOCOLS).default('imap'),
    host,
    port: port.optional(),
    /** TLS from the first byte. Without it the connection is plaintext, upgraded with STARTTLS when the server offers it. */
    secure: z.boolean().default(true),
    auth: credentialsSchema,
    /** The IMAP folder polled (POP3 has only the one maildrop). */
    folder: z.string().trim().min(1).max(512).default('INBOX'),
    afterCapture: afterCapture.default('keep'),
    pollEvery: duration.default(60_000),
    /** Connection, greeting and idle socket timeout. */
    timeout: duration.default(30_000),
    /** The address whose settings apply to a message that names none of the configured addresses. */
    address: emailAddress.optional(),
  })
  .transform((mailbox) => ({
    ...mailbox,
    port: mailbox.port ?? (mailbox.protocol === 'imap' ? (mailbox.secure ? 993 : 143) : mailbox.secure ? 995 : 110),
  }));

export type MailboxConfig = z.output<typeof mailboxSchema>;

const template = z.string().min(1).max(20_000);

export const acknowledgementSchema = z
  .union([template, z.strictObject({ subject: z.string().min(1).max(998).nullable().optional(), body: template })])
  .transform((value) => (typeof value === 'string' ? { subject: null, body: value } : { subject: value.subject ?? null, body: value.body }));

export type AcknowledgementTemplate = z.output<typeof acknowledgementSchema>;

export const emailAddressSchema = z.strictObject({
  address: emailAddress,
  /** Display name of the messages sent from this address. */
  name: z.string().min(1).max(200).optional(),
  /** Category of a new interaction when no screening rule matched (else the configuration's default category). */
  category: id.optional(),
  /** Sent to the customer when their message starts a new interaction; null: none. */
  acknowledgement: acknowledgementSchema.nullable().default(null),
});

export type EmailAddressConfig = z.output<typeof emailAddressSchema>;

export const smtpSchema = z.strictObject({
  host,
  port: port.default(587),
  /** TLS from the first byte (port 465). Without it STARTTLS is used when the server offers it. */
  secure: z.boolean().default(false),
  /** Refuse to send unless the connection is upgraded with STARTTLS. */
  requireTls: z.boolean().default(false),
  auth: credentialsSchema.optional(),
  /** Connection, greeting and idle socket timeout. */
  timeout: duration.default(30_000),
});

export type SmtpConfig = z.output<typeof smtpSchema>;

export const emailSettingsSchema = z.strictObject({
  acknowledgementWindow: duration.default(3_600_000),
  maxMessageBytes: z.number().int().min(1_024).default(DEFAULT_PARSE_LIMITS.maxMessageBytes),
  maxAttachmentBytes: z.number().int().min(0).default(DEFAULT_PARSE_LIMITS.maxAttachmentBytes),
  maxTotalAttachmentBytes: z.number().int().min(0).default(DEFAULT_PARSE_LIMITS.maxTotalAttachmentBytes),
  maxPollBackoff: duration.default(300_000),
  /** Messages of one IMAP batch captured at the same time (one sender's, and one thread's, always in order). */
  captureConcurrency: z.number().int().min(1).max(64).default(8),
  /** Right-hand side of the Message-IDs Switchboard writes (default: the sending address's domain). */
  messageIdDomain: z
    .string()
    .regex(/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}\.)*[A-Za-z0-9-]{1,63}$/, 'a domain name')
    .optional(),
});

export type EmailSettings = z.output<typeof emailSettingsSchema>;
export const DEFAULT_EMAIL_SETTINGS: EmailSettings = emailSettingsSchema.parse({});

/** Placeholders used in a template that are not among ACKNOWLEDGEMENT_PLACEHOLDERS. */
export function unknownPlaceholders(text: string): string[] {
  const known = new Set<string>(ACKNOWLEDGEMENT_PLACEHOLDERS);
  return [...text.matchAll(/\{([A-Za-z_]+)\}/g)].map((match) => match[1] ?? '').filter((name) => !known.has(name));
}

/**
 * Cross-references of the email configuration, for the configuration schema's superRefine: unique
 * mailbox ids and addresses, known categories and addresses, protocol-specific options, templates
 * with known placeholders, and an SMTP server whenever something has to be sent.
 */
export function refineEmailConfig(
  config: {
    mailboxes: MailboxConfig[];
    addresses: EmailAddressConfig[];
    smtp: SmtpConfig | null;
    categories: { id: string }[];
  },
  ctx: z.RefinementCtx,
): void {
  const ids = new Set<string>();
  const addresses = new Set<string>();
  config.addresses.forEach((address, index) => {
    const at = (...path: (string | number)[]) => ['addresses', index, ...path];
    if (addresses.has(address.address)) ctx.addIssue({ code: 'custom', message: `duplicate address "${address.address}"`, path: at('address') });
    addresses.add(address.address);
    if (address.category !== undefined && !config.categories.some((category) => category.id === address.category)) {
      ctx.addIssue({ code: 'custom', message: `unknown category "${address.category}"`, path: at('category') });
    }
    if (address.acknowledgement !== null) {
      if (config.smtp === null) {
        ctx.addIssue({ code: 'custom', message: 'an acknowledgement needs an smtp server to send it', path: at('acknowledgement') });
      }
      for (const [key, text] of Object.entries(address.acknowledgement)) {
        if (text === null) continue;
        for (const name of unknownPlaceholders(text)) {
          ctx.addIssue({
            code: 'custom',
            message: `unknown placeholder {${name}}; use ${ACKNOWLEDGEMENT_PLACEHOLDERS.map((p) => `{${p}}`).join(', ')}`,
            path: at('acknowledgement', key),
          });
        }
      }
    }
  });
  config.mailboxes.forEach((mailbox, index) => {
    const at = (...path: (string | number)[]) => ['mailboxes', index, ...path];
    if (ids.has(mailbox.id)) ctx.addIssue({ code: 'custom', message: `duplicate id "${mailbox.id}"`, path: at('id') });
    ids.add(mailbox.id);
    if (mailbox.address !== undefined && !addresses.has(mailbox.address)) {
      ctx.addIssue({ code: 'custom', message: `"${mailbox.address}" is not one of the configured addresses`, path: at('address') });
    }
    const after = afterCaptureOf(mailbox);
    if (mailbox.protocol === 'pop3') {
      if (after.action === 'move') {
        ctx.addIssue({ code: 'custom', message: 'POP3 cannot move messages; use "delete" or "keep"', path: at('afterCapture') });
      }
      if (mailbox.folder.toUpperCase() !== 'INBOX') {
        ctx.addIssue({ code: 'custom', message: 'POP3 has no folders; leave folder out', path: at('folder') });
      }
    }
    if (after.action === 'move' && after.folder === mailbox.folder) {
      ctx.addIssue({ code: 'custom', message: 'cannot move messages into the folder that is polled', path: at('afterCapture') });
    }
  });
}
