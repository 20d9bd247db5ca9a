import { describe, expect, it } from 'vitest';
import { compileMaskingRules, maskingRuleSchema, maskText } from '../../src/channels/sms/masking.ts';
import { InvalidMaskingRulesError } from '../../src/channels/sms/errors.ts';

const card = { name: 'card', pattern: '\\b\\d{13,19}\\b', show: 'last4' } as const;

function rulesError(rules: unknown): InvalidMaskingRulesError {
  try {
    compileMaskingRules(rules);
  } catch (error) {
    if (error instanceof InvalidMaskingRulesError) return error;
    throw error;
  }
  throw new Error('expected InvalidMaskingRulesError');
}

describe('maskText', () => {
  it('leaves the last four digits of a card number visible', () => {
    expect(maskText('4111111111111234', compileMaskingRules([card]))).toBe('************1234');
  });

  it('masks every match in the text', () => {
    const text = 'cards 4111111111111234 and 5500000000000004, thanks';
    expect(maskText(text, compileMaskingRules([card]))).toBe('cards ************1234 and ************0004, thanks');
  });

  it('masks every match again on a second call (the global regex keeps no state)', () => {
    const rules = compileMaskingRules([card]);
    expect(maskText('4111111111111234', rules)).toBe('************1234');
    expect(maskText('4111111111111234', rules)).toBe('************1234');
  });

  it("masks the whole match with show 'none', the default", () => {
    const rules = compileMaskingRules([{ name: 'account', pattern: 'ACC-\\d+' }]);
    expect(maskText('ref ACC-123456.', rules)).toBe('ref ***-******.');
  });

  it("leaves the first four visible with show 'first4'", () => {
    const rules = compileMaskingRules([{ name: 'iban', pattern: '\\bDE\\d{20}\\b', show: 'first4' }]);
    expect(maskText('DE89370400440532013000', rules)).toBe('DE89******************');
  });

  it('keeps spaces and punctuation inside a match', () => {
    const rules = compileMaskingRules([{ name: 'card', pattern: '\\b(?:\\d[ -]?){12,18}\\d\\b', show: 'last4' }]);
    expect(maskText('my card is 4111 1111 1111 1234!', rules)).toBe('my card is **** **** **** 1234!');
  });

  it('masks a match of four or fewer letters and digits entirely', () => {
    const rules = compileMaskingRules([{ name: 'pin', pattern: '\\b\\d{4,5}\\b', show: 'last4' }]);
    expect(maskText('PIN 1234, code 98765', rules)).toBe('PIN ****, code *8765');
  });

  it('uses the configured mask character and case-insensitivity', () => {
    const rules = compileMaskingRules([{ name: 'secret', pattern: 'secret-\\w+', ignoreCase: true, maskChar: '#' }]);
    expect(maskText('SECRET-abc and secret-DEF', rules)).toBe('######-### and ######-###');
  });

  it('masks by code point, so a letter outside the BMP becomes one mask character', () => {
    const rules = compileMaskingRules([{ name: 'x', pattern: 'code:\\S+', maskChar: '•' }]);
    expect(maskText('code:a𝐀b', rules)).toBe('••••:•••');
  });

  it('applies rules in order', () => {
    const rules = compileMaskingRules([card, { name: 'stars', pattern: '\\*{12}', maskChar: 'x' }]);
    expect(maskText('4111111111111234', rules)).toBe('************1234'); // '*' is not a letter or digit, so kept
  });

  it('returns the text unchanged without rules', () => {
    expect(maskText('4111111111111234', compileMaskingRules([]))).toBe('4111111111111234');
  });
});

describe('compileMaskingRules', () => {
  it('names the key of an invalid regular expression', () => {
    const error = rulesError([card, { name: 'broken', pattern: '(\\d+' }]);
    expect(error.code).toBe('INVALID_MASKING_RULES');
    expect(error.details).toHaveLength(1);
    expect(error.details[0]).toMatch(/^1\.pattern: not a valid regular expression/);
  });

  it('refuses more than three rules', () => {
    const rules = ['a', 'b', 'c', 'd'].map((name) => ({ name, pattern: `${name}x` }));
    expect(rulesError(rules).details[0]).toMatch(/^\(root\): /);
  });

  it('refuses patterns that match the empty string', () => {
    expect(rulesError([{ name: 'empty', pattern: '\\d*' }]).details).toEqual(['0.pattern: must not match an empty string']);
  });

  it('refuses an unknown show value, unknown keys and duplicate names', () => {
    expect(rulesError([{ ...card, show: 'last2' }]).details[0]).toMatch(/^0\.show: /);
    expect(rulesError([{ ...card, replacement: 'x' }]).details[0]).toMatch(/replacement/);
    expect(rulesError([card, card]).details).toEqual(['1.name: duplicate rule name "card"']);
  });

  it('refuses a mask character that is not one character', () => {
    expect(rulesError([{ ...card, maskChar: '**' }]).details[0]).toMatch(/^0\.maskChar: must be a single character/);
  });

  it('refuses something that is not a list', () => {
    expect(() => compileMaskingRules({ card })).toThrow(InvalidMaskingRulesError);
  });
});

describe('maskingRuleSchema', () => {
  it('fills in defaults', () => {
    expect(maskingRuleSchema.parse({ name: 'card', pattern: '\\d{16}' })).toEqual({
      name: 'card',
      pattern: '\\d{16}',
      show: 'none',
      maskChar: '*',
      ignoreCase: false,
    });
  });

  it('reports the pattern key for a regex that does not compile', () => {
    const result = maskingRuleSchema.safeParse({ name: 'card', pattern: '[' });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual(['pattern']);
  });
});
