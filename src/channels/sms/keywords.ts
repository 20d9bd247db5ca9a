// Carrier-style SMS keywords. A message is a keyword only when the keyword is the whole message:
// case and width are ignored (Unicode NFKC, so full-width "ＳＴＯＰ" counts), surrounding whitespace and
// trailing punctuation are dropped ("Stop!" and " stop. " match), and anything else makes it ordinary
// text ("stop please", "don't stop").
export type SmsKeyword = 'opt_out' | 'opt_in' | 'help';

const KEYWORDS: ReadonlyMap<string, SmsKeyword> = new Map([
  ...['STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT'].map((word) => [word, 'opt_out'] as const),
  ...['START', 'UNSTOP', 'YES'].map((word) => [word, 'opt_in'] as const),
  ...['HELP', 'INFO'].map((word) => [word, 'help'] as const),
]);

const TRAILING_PUNCTUATION = /[\p{P}\s]+$/u;

export function classifyKeyword(body: string): SmsKeyword | null {
  const word = body.normalize('NFKC').trim().replace(TRAILING_PUNCTUATION, '').toUpperCase();
  return KEYWORDS.get(word) ?? null;
}
