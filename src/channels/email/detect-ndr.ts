// Recognises non-delivery reports (bounces): RFC 3464 delivery status reports and the
// non-standard ones of common MTAs and providers.
import { firstHeader, parseStructured } from './header-values.ts';
import { extractMessageIds } from './message-id.ts';
import type { ParsedMessage } from './parse-message.ts';

export interface NdrDetection {
  reason: string;
  /** The Message-ID of the message that could not be delivered, when the report names it. */
  bouncedMessageId?: string;
  /** RFC 3464 Action of the recipients (`failed`, `delayed`, …), when the report has a status part. */
  deliveryAction?: string;
}

const DELIVERY_STATUS_TYPES = new Set(['message/delivery-status', 'message/global-delivery-status']);

const SYSTEM_SENDER = /^(mailer[-_]?daemon|postmaster)$/i;

// Subjects of bounces, anchored at the start. Exchange localises its "Undeliverable:" prefix.
const NDR_SUBJECTS: ReadonlyArray<[RegExp, string]> = [
  [/^undeliverable\s*:/i, 'Exchange "Undeliverable:"'],
  [/^(unzustellbar|non remis|no se puede entregar|impossibile recapitare|onbestelbaar|kan ikke leveres|olevererbart|nie można dostarczyć|не доставлено)\s*:/iu, 'Exchange localised "Undeliverable:"'],
  [/^delivery has failed/i, 'Exchange "Delivery has failed"'],
  [/^delivery status notification \((failure|delay)\)/i, 'Gmail "Delivery Status Notification"'],
  [/^failure notice\s*$/i, 'qmail/Yahoo "failure notice"'],
  [/^undelivered mail returned to sender/i, 'Postfix "Undelivered Mail Returned to Sender"'],
  [/^mail delivery failed/i, 'Exim "Mail delivery failed"'],
  [/^returned mail\s*:/i, 'Sendmail "Returned mail:"'],
  [/^(undeliverable|undelivered|nondeliverable) (mail|message)/i, '"Undeliverable mail"'],
  [/^mail system error - returned mail/i, '"Mail System Error - Returned Mail"'],
  [/^message delivery failure/i, '"Message delivery failure"'],
];

// Body signatures; only trusted when the message is machine-sent (see isMachineSent), because a
// customer may paste or forward a bounce.
const NDR_BODIES: ReadonlyArray<[RegExp, string]> = [
  [/Hi\. This is the qmail-send program/, 'qmail bounce text'],
  [/This is the mail system at host/, 'Postfix bounce text'],
  [/Delivery has failed to these recipients or groups/i, 'Exchange bounce text'],
  [/This message was created automatically by mail delivery software/i, 'MTA bounce text'],
  [/(Sorry, we were unable to deliver your message|I'm afraid I wasn't able to deliver (your|the following) message)/i, 'Yahoo bounce text'],
  [/The following message to <[^>]+> was undeliverable/i, 'bounce text'],
];

export function detectNdr(message: ParsedMessage): NdrDetection | null {
  const found = ndrReason(message);
  if (!found) return null;
  const detection: NdrDetection = { reason: found };
  const bounced = bouncedMessageId(message);
  if (bounced) detection.bouncedMessageId = bounced;
  const action = deliveryAction(message);
  if (action) {
    detection.deliveryAction = action;
    detection.reason += ` (action: ${action})`;
  }
  return detection;
}

function ndrReason(message: ParsedMessage): string | null {
  const contentType = parseStructured(firstHeader(message.headers, 'content-type'));
  if (contentType.value === 'multipart/report') {
    const reportType = (contentType.params['report-type'] ?? '').toLowerCase();
    if (reportType === 'delivery-status' || reportType === 'global-delivery-status') {
      return `RFC 3464 report (multipart/report; report-type=${reportType})`;
    }
    if (!reportType && message.attachments.some((a) => DELIVERY_STATUS_TYPES.has(a.contentType))) {
      return 'multipart/report with a delivery-status part';
    }
  }
  if (firstHeader(message.headers, 'x-failed-recipients')) {
    return 'X-Failed-Recipients header';
  }
  const localPart = message.from.address.split('@')[0] ?? '';
  if (SYSTEM_SENDER.test(localPart)) {
    return `sender is ${message.from.address}`;
  }
  const subject = message.subject.trim();
  for (const [pattern, label] of NDR_SUBJECTS) {
    if (pattern.test(subject)) return `subject matches ${label}`;
  }
  if (isMachineSent(message)) {
    for (const [pattern, label] of NDR_BODIES) {
      if (pattern.test(message.text)) return `machine-sent message with ${label}`;
    }
  }
  return null;
}

/** Null envelope sender (RFC 5321 §4.5.5) or an Auto-Submitted header other than `no`. */
function isMachineSent(message: ParsedMessage): boolean {
  const returnPath = firstHeader(message.headers, 'return-path');
  if (returnPath !== undefined && /^<\s*>$/.test(returnPath.trim())) return true;
  const autoSubmitted = parseStructured(firstHeader(message.headers, 'auto-submitted')).value;
  return autoSubmitted !== '' && autoSubmitted !== 'no';
}

function bouncedMessageId(message: ParsedMessage): string | undefined {
  for (const attachment of message.attachments) {
    if (attachment.embeddedMessageId) return attachment.embeddedMessageId;
  }
  // Non-standard bounces quote the original header section in the body text.
  const quoted = /^[ \t>]*(?:original-)?message-id[ \t]*:[ \t]*(.*)$/im.exec(message.text);
  return extractMessageIds(quoted?.[1])[0];
}

function deliveryAction(message: ParsedMessage): string | undefined {
  const actions = new Set<string>();
  for (const attachment of message.attachments) {
    if (!DELIVERY_STATUS_TYPES.has(attachment.contentType) || !attachment.content) continue;
    for (const match of attachment.content.toString('utf8').matchAll(/^action[ \t]*:[ \t]*([a-z-]+)/gim)) {
      if (match[1]) actions.add(match[1].toLowerCase());
    }
  }
  if (actions.size === 0) return undefined;
  // The most severe action wins: one failed recipient makes the report a failure.
  for (const action of ['failed', 'delayed', 'relayed', 'expanded', 'delivered']) {
    if (actions.has(action)) return action;
  }
  return [...actions][0];
}
