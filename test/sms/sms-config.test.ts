/** The SMS part of the configuration: defaults, normalization, and every mistake reported at its key. */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.ts';
import type { ConfigInput } from '../../src/config/schema.ts';
import { configProblems } from '../support/config-problems.ts';
import { twoAgentConfig } from '../support/configs.ts';

const SID = 'AC' + '1'.repeat(32);
const provider = { id: 'main', accountSid: SID, authToken: 'token-0123456789' };
const number = { number: '+14155550100', kind: 'long' as const, provider: 'main' };

const problems = (input: Partial<ConfigInput>): string[] => configProblems(twoAgentConfig(input));

describe('SMS configuration', () => {
  it('is optional: a configuration without SMS is valid and has none', () => {
    const config = parseConfig(twoAgentConfig());
    expect(config.smsProviders).toEqual([]);
    expect(config.smsNumbers).toEqual([]);
  });

  it('fills defaults and normalizes numbers', () => {
    const config = parseConfig(twoAgentConfig({ smsProviders: [provider], smsNumbers: [{ ...number, number: '+1 (415) 555-0100' }] }));
    expect(config.smsProviders[0]).toMatchObject({ type: 'twilio', baseUrl: 'https://api.twilio.com', webhookRateLimitPerMinute: 120_000 });
    expect(config.smsNumbers[0]).toMatchObject({
      number: '+14155550100',
      acknowledgement: null,
      maxSegments: 10,
      masking: { rules: [], keepOriginal: false },
    });
  });

  it('accepts the auth token from the environment, and a generic provider without an account SID', () => {
    const config = parseConfig(
      twoAgentConfig({
        smsProviders: [
          { id: 'env', accountSid: SID, authTokenEnv: 'TWILIO_AUTH_TOKEN', webhookBaseUrl: 'https://sb.example.com/' },
          { id: 'agg', type: 'generic', authToken: 'secret-0123456789', baseUrl: 'https://agg.example.com/api' },
        ],
      }),
    );
    expect(config.smsProviders.map((p) => p.webhookBaseUrl)).toEqual(['https://sb.example.com', undefined]);
  });

  it('reports each mistake at the offending key', () => {
    expect(
      problems({
        smsProviders: [provider, { id: 'main', type: 'twilio', authToken: 'token-0123456789', authTokenEnv: 'X' }],
        smsNumbers: [
          { ...number, provider: 'nobody', category: 'nothing' },
          { ...number, kind: 'short' },
          { number: '12345', kind: 'long', provider: 'main' },
          { number: '+1 555', kind: 'long', provider: 'main' },
        ],
      }),
    ).toEqual([
      'smsProviders.1.authToken: exactly one of authToken and authTokenEnv is needed',
      'smsProviders.1.accountSid: a Twilio provider needs its accountSid',
      'smsNumbers.3.number: Not a valid phone number (not a valid number for its country)',
    ]);
    expect(
      problems({
        smsProviders: [provider, provider],
        smsNumbers: [
          { ...number, provider: 'nobody', category: 'nothing' },
          { ...number, kind: 'short' },
          { number: '12345', kind: 'long', provider: 'main' },
        ],
      }),
    ).toEqual([
      'smsProviders.1.id: duplicate id "main"',
      'smsNumbers.0.provider: unknown SMS provider "nobody"',
      'smsNumbers.0.category: unknown category "nothing"',
      'smsNumbers.1.number: duplicate number "+14155550100"',
      'smsNumbers.1.kind: kind "short" needs a 5-6 digit short code',
      'smsNumbers.2.kind: a short code needs kind "short"',
    ]);
  });

  it('refuses more than three masking rules, bad patterns, and templates over the segment limit', () => {
    const rule = (name: string) => ({ name, pattern: '\\d{6}' });
    expect(
      problems({
        smsProviders: [provider],
        smsNumbers: [
          { ...number, masking: { rules: [rule('a'), rule('b'), rule('c'), rule('d')] } },
          { ...number, number: '+14155550101', masking: { rules: [{ name: 'x', pattern: '(' }] } },
          { ...number, number: '+14155550102', maxSegments: 1, acknowledgement: 'x'.repeat(161) },
          { ...number, number: '+14155550103', maxSegments: 11 },
        ],
      }).map((line) => line.replace(/:.*$/, '')),
    ).toEqual(['smsNumbers.0.masking.rules', 'smsNumbers.1.masking.rules.0.pattern', 'smsNumbers.3.maxSegments']);
    expect(problems({ smsProviders: [provider], smsNumbers: [{ ...number, maxSegments: 1, acknowledgement: 'x'.repeat(161) }] })).toEqual([
      'smsNumbers.0.acknowledgement: needs 2 segments; maxSegments is 1',
    ]);
  });
});
