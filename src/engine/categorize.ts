/**
 * Screening rules: each category's regular expressions are matched against the subject and the body;
 * the first category with a matching rule wins, and the default category (the one marked `default`,
 * else the last one) catches the rest.
 */
import type { CategoryConfig } from '../config/schema.ts';

/** Screening looks at this much of a message; rules never scan unbounded input. */
const MAX_SCREENED_CHARACTERS = 64 * 1024;

export interface Categorizer {
  categorize(subject: string | null | undefined, body: string): { category: CategoryConfig; matchedRule: string | null };
}

export function compileCategories(categories: CategoryConfig[]): Categorizer {
  const compiled = categories.map((category) => ({
    category,
    rules: category.rules.map((source) => ({ source, pattern: new RegExp(source, 'iu') })),
  }));
  const fallback = categories.find((c) => c.default) ?? categories[categories.length - 1];
  if (!fallback) throw new Error('at least one category is needed');
  return {
    categorize(subject, body) {
      const text = `${subject ?? ''}\n${body}`.slice(0, MAX_SCREENED_CHARACTERS);
      for (const { category, rules } of compiled) {
        const rule = rules.find(({ pattern }) => pattern.test(text));
        if (rule) return { category, matchedRule: rule.source };
      }
      return { category: fallback, matchedRule: null };
    },
  };
}
