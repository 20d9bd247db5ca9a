// Masking of sensitive data (card numbers, account numbers, ...) in message text before it is stored
// or shown. A rule is a regular expression plus what to leave visible of each match:
//
//   { name: 'card', pattern: '\\b\\d{13,19}\\b', show: 'last4' }   "4111111111111234" → "************1234"
//
// - `pattern` is a JavaScript regular expression source, applied globally; `ignoreCase` adds the i flag.
// - `show`: 'none' masks the whole match, 'last4' / 'first4' leave its last / first four letters or
//   digits visible; a match with four or fewer letters and digits is masked entirely.
// - Only letters and digits are replaced by `maskChar` (default '*'); spaces and punctuation inside a
//   match are kept, so "4111 1111 1111 1234" becomes "**** **** **** 1234".
// - At most 3 rules, applied in order; a later rule sees the output of the earlier ones.
// Patterns come from administrators' configuration and run on every message: keep them simple,
// without nested quantifiers that can backtrack catastrophically.
import { z } from 'zod';
import { InvalidMaskingRulesError } from './errors.ts';

export const MAX_MASKING_RULES = 3;

function checkPattern(pattern: string, ctx: z.RefinementCtx): void {
  let regex: RegExp;
  try {
    regex = new RegExp(pattern);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: `not a valid regular expression: ${(error as Error).message}` });
    return;
  }
  if (regex.test('')) ctx.addIssue({ code: 'custom', message: 'must not match an empty string' });
}

export const maskingRuleSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z][\w-]{0,63}$/, 'must be 1-64 letters, digits, "_" or "-", starting with a letter'),
  pattern: z.string().min(1).max(1000).superRefine(checkPattern),
  show: z.enum(['none', 'first4', 'last4']).default('none'),
  maskChar: z
    .string()
    .refine((value) => Array.from(value).length === 1, 'must be a single character')
    .default('*'),
  ignoreCase: z.boolean().default(false),
});

export const maskingRulesSchema = z
  .array(maskingRuleSchema)
  .max(MAX_MASKING_RULES)
  .superRefine((rules, ctx) => {
    const seen = new Set<string>();
    rules.forEach((rule, index) => {
      if (seen.has(rule.name)) ctx.addIssue({ code: 'custom', path: [index, 'name'], message: `duplicate rule name "${rule.name}"` });
      seen.add(rule.name);
    });
  });

/** A rule as written in configuration (defaults not yet applied). */
export type MaskingRule = z.input<typeof maskingRuleSchema>;
export type MaskShow = z.output<typeof maskingRuleSchema>['show'];

export interface CompiledMaskingRule {
  readonly name: string;
  readonly regex: RegExp;
  readonly show: MaskShow;
  readonly maskChar: string;
}

/** Validates and compiles rules; throws InvalidMaskingRulesError naming each bad key (e.g. "1.pattern: ..."). */
export function compileMaskingRules(rules: unknown): CompiledMaskingRule[] {
  const result = maskingRulesSchema.safeParse(rules);
  if (!result.success) {
    throw new InvalidMaskingRulesError(
      result.error.issues.map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(root)'}: ${issue.message}`),
    );
  }
  return result.data.map((rule) => ({
    name: rule.name,
    regex: new RegExp(rule.pattern, rule.ignoreCase ? 'gi' : 'g'),
    show: rule.show,
    maskChar: rule.maskChar,
  }));
}

export function maskText(text: string, rules: readonly CompiledMaskingRule[]): string {
  return rules.reduce((masked, rule) => masked.replace(rule.regex, (match) => maskMatch(match, rule)), text);
}

const MASKABLE = /[\p{L}\p{N}]/u;

function maskMatch(match: string, rule: CompiledMaskingRule): string {
  const chars = Array.from(match);
  const maskable = chars.filter((char) => MASKABLE.test(char)).length;
  const visible = rule.show === 'none' || maskable <= 4 ? 0 : 4;
  let position = 0;
  return chars
    .map((char) => {
      if (!MASKABLE.test(char)) return char;
      const index = position++;
      const keep = rule.show === 'first4' ? index < visible : index >= maskable - visible;
      return keep ? char : rule.maskChar;
    })
    .join('');
}
