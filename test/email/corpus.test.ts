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
