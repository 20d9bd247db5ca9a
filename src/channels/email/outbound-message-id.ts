// The Message-ID of a message Switchboard sends is derived from its `messages` row id, so every
// attempt to send one message carries the same Message-ID (a recipient or a relay that sees it twice
// can tell), and a reply or bounce naming it leads back to the message.
const DOMAIN = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}\.)*[A-Za-z0-9-]{1,63}$/;

export function outboundMessageId(messageId: string, domain: string): string {
  const host = DOMAIN.test(domain) ? domain.toLowerCase() : 'switchboard.invalid';
  return `<${messageId.toLowerCase()}.sb@${host}>`;
}

/** The domain part of an address, or a placeholder for an address without one. */
export function domainOf(address: string): string {
  const at = address.lastIndexOf('@');
  return at >= 0 ? address.slice(at + 1) : 'switchboard.invalid';
}
