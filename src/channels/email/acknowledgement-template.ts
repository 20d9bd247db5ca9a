// Fills an address's acknowledgement template. Placeholders: {name} (the customer's display name, or
// their address when the message gave none), {address}, {subject} (of the customer's message),
// {reference} (the interaction's reference number) and {token} (`[SB#<reference>]`). Without a
// subject template the acknowledgement answers as a reply would: `Re: [SB#n] <subject>`.
import type { AcknowledgementPlaceholder, AcknowledgementTemplate } from './email-config.ts';
import { formatReferenceToken, replySubject } from './reference-token.ts';

export interface AcknowledgementValues {
  name: string;
  address: string;
  subject: string;
  reference: number;
}

export interface RenderedAcknowledgement {
  subject: string;
  body: string;
}

export function renderTemplateText(text: string, values: AcknowledgementValues): string {
  const filled: Record<AcknowledgementPlaceholder, string> = {
    name: values.name.trim() || values.address,
    address: values.address,
    subject: values.subject,
    reference: String(values.reference),
    token: formatReferenceToken(values.reference),
  };
  return text.replace(/\{(name|address|subject|reference|token)\}/g, (_placeholder, key: AcknowledgementPlaceholder) => filled[key]);
}

export function renderAcknowledgement(template: AcknowledgementTemplate, values: AcknowledgementValues): RenderedAcknowledgement {
  const subject =
    template.subject === null ? replySubject(values.subject, values.reference) : renderTemplateText(template.subject, values);
  // The token is what lets a reply to the acknowledgement find its interaction even without headers.
  const token = formatReferenceToken(values.reference);
  return {
    subject: subject.includes(token) ? subject : `${subject} ${token}`,
    body: renderTemplateText(template.body, values),
  };
}
