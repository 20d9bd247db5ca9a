// Real-world messages from public repositories (see test/fixtures/email-corpus/SOURCES.md),
// parsed and classified as the channel would see them, with lookups that know only the
// Message-IDs the manifest names.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { classifyMessage } from '../../src/channels/email/classify.ts';
import type { MessageKind, ThreadLookups } from '../../src/channels/email/classify.ts';
import { parseMessage } from '../../src/channels/email/parse-message.ts';

interface ManifestEntry {
  kind: MessageKind;
  bouncedMessageId?: string;
  knownMessageIds?: string[];
}

const corpusDir = join(import.meta.dirname, '../fixtures/email-corpus');
const manifest = JSON.parse(readFileSync(join(corpusDir, 'expected.json'), 'utf8')) as Record<string, ManifestEntry>;

function lookupsKnowing(known: string[]): ThreadLookups {
  return {
    knownMessageIds: async (ids) => ids.filter((id) => known.includes(id)),
    threadSenderForReference: async () => null,
  };
}

describe('email corpus', () => {
  it('has at least 40 messages covering every kind', () => {
    const kinds = Object.values(manifest).map((entry) => entry.kind);
    expect(kinds.length).toBeGreaterThanOrEqual(40);
    for (const kind of ['new', 'reply', 'auto_reply', 'ndr'] as const) {
      expect(kinds.filter((k) => k === kind).length, kind).toBeGreaterThanOrEqual(4);
    }
  });

  for (const [file, expected] of Object.entries(manifest)) {
    it(`${file} is ${expected.kind}`, async () => {
      const parsed = await parseMessage(readFileSync(join(corpusDir, file)));
      if (parsed.quarantined) throw new Error(`quarantined: ${parsed.reason}`);

      const result = await classifyMessage(parsed, lookupsKnowing(expected.knownMessageIds ?? []));
      expect(result.kind, result.reason).toBe(expected.kind);
      if (expected.bouncedMessageId) {
        expect(result.bouncedMessageId).toBe(expected.bouncedMessageId);
      }
      if (expected.knownMessageIds) {
        expect(result.threadMessageIds).toEqual(expect.arrayContaining(expected.knownMessageIds));
      }
    });
  }
});

// What the awkward messages must still give the channel: readable text in the right script and
// every part kept, whatever the charset label says.
describe('email corpus: charsets and TNEF', () => {
  async function parsedFile(file: string) {
    const parsed = await parseMessage(readFileSync(join(corpusDir, file)));
    if (parsed.quarantined) throw new Error(`quarantined: ${parsed.reason}`);
    return parsed;
  }

  it('decodes a KOI8-R body and keeps winmail.dat as an ms-tnef attachment', async () => {
    const message = await parsedFile('new/mimekit-tnef-ukr-koi8-r.eml');
    expect(message.text).toContain('шостий');
    const tnef = message.attachments.find((a) => a.contentType === 'application/ms-tnef');
    expect(tnef).toMatchObject({ filename: 'winmail.dat', size: 9566, contentDropped: false, inline: false });
    // TNEF signature 0x223E9F78, little-endian
    expect(tnef?.content?.readUInt32LE(0)).toBe(0x223e9f78);
  });

  it('reads parts whose charset label is unknown or malformed', async () => {
    const thunderbird = await parsedFile('new/thunderbird-bad-charset.eml');
    expect(thunderbird.text).toContain('Matterhorn1');
    expect(thunderbird.html).toContain('Matterhorn2');

    const apple = await parsedFile('new/enmime-html-mime-bad-charset-inline.eml');
    expect(apple.text).toContain('Test of text section');
    expect(apple.html).toContain('Test of HTML section');
    expect(apple.attachments).toEqual([expect.objectContaining({ filename: 'favicon.png', contentType: 'image/png', inline: true })]);

    const cpanel = await parsedFile('auto_reply/ddeboer-imap-ansi_x3.110-1983-cpanel-autorespond.eml');
    expect(cpanel.text).toContain('Please be aware that this email account is not monitored');
  });

  it('decodes UTF-8 quoted-printable and base64 bodies of automatic replies', async () => {
    expect((await parsedFile('auto_reply/sisimai-rfc3834-06-zimbra-vacation.eml')).text).toContain('Estarei ausente do dia 08/02 até o dia 12/03');
    expect((await parsedFile('auto_reply/sisimai-rfc3834-01-exchange-out-of-office.eml')).text).toContain('I am away on vacation');
  });
});
