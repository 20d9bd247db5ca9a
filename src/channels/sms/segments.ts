// How many SMS segments a text costs, counted the way Twilio's published segment calculator does.
//
// - GSM-7 when every character is in the GSM 03.38 basic set or its extension table; extension
//   characters (form feed ^ { } \ [ ~ ] | €) take two septets (escape + character).
//   160 septets fit one segment; a longer text is split into segments of 153 septets, and an escape
//   pair is never split across two segments.
// - Otherwise UCS-2 (in practice UTF-16): 70 code units fit one segment; a longer text is split into
//   segments of 67 units. A character outside the Basic Multilingual Plane (most emoji) is a surrogate
//   pair of 2 units; a user-perceived character (grapheme cluster: surrogate pair, emoji ZWJ sequence,
//   letter + combining marks) is never split across segments unless it alone exceeds 67 units.
// - The text is counted exactly as given: no Unicode normalization and no "smart encoding"
//   substitution of look-alike characters.
// - An empty text counts as 1 segment, as Twilio's calculator reports it (Twilio's API itself
//   refuses an empty body without media).
// - `characters` counts user-perceived characters (extended grapheme clusters, so "\r\n" is one);
//   `units` counts septets for GSM-7 and UTF-16 code units for UCS-2.
import { SmsTooLongError } from './errors.ts';

export type SmsEncoding = 'GSM-7' | 'UCS-2';

export interface SegmentCount {
  encoding: SmsEncoding;
  segments: number;
  characters: number;
  units: number;
}

const GSM_BASIC = new Set(
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?' +
    '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà',
);
const GSM_EXTENSION = new Set('\f^{}\\[~]|€');

const LIMITS = {
  'GSM-7': { single: 160, perSegment: 153 },
  'UCS-2': { single: 70, perSegment: 67 },
} as const;

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/** The septets one character costs in GSM-7, or undefined when GSM-7 cannot encode it. */
export function gsmSeptets(char: string): 1 | 2 | undefined {
  if (GSM_BASIC.has(char)) return 1;
  if (GSM_EXTENSION.has(char)) return 2;
  return undefined;
}

export function countSegments(text: string): SegmentCount {
  const septets = Array.from(text, gsmSeptets);
  if (septets.every((n) => n !== undefined)) {
    // GSM-7 characters are one code point each and never join into a cluster, except CR LF, which is
    // one: the clusters are counted without running the (much slower) grapheme segmenter.
    const units = septets.reduce((sum, n) => sum + n, 0);
    const characters = septets.length - (text.match(/\r\n/g)?.length ?? 0);
    return { encoding: 'GSM-7', segments: pack(septets, units, LIMITS['GSM-7']), characters, units };
  }
  // UCS-2: the indivisible pieces are grapheme clusters, each costing its UTF-16 code units.
  const clusters = Array.from(graphemes.segment(text), (s) => s.segment);
  const pieces = clusters.flatMap(ucs2Pieces);
  const units = pieces.reduce((sum, n) => sum + n, 0);
  return { encoding: 'UCS-2', segments: pack(pieces, units, LIMITS['UCS-2']), characters: clusters.length, units };
}

/** Returns the count when the text fits in `maxSegments`, throws SmsTooLongError otherwise. */
export function checkSegmentLimit(text: string, maxSegments: number): SegmentCount {
  if (!Number.isInteger(maxSegments) || maxSegments < 1) {
    throw new RangeError(`maxSegments must be a positive integer, got ${maxSegments}`);
  }
  const count = countSegments(text);
  if (count.segments > maxSegments) throw new SmsTooLongError(count.segments, maxSegments);
  return count;
}

function ucs2Pieces(cluster: string): number[] {
  if (cluster.length <= LIMITS['UCS-2'].perSegment) return [cluster.length];
  // A cluster longer than a whole segment has to be split; split it between code points.
  return Array.from(cluster, (codePoint) => codePoint.length);
}

function pack(pieces: number[], units: number, limits: { single: number; perSegment: number }): number {
  if (units <= limits.single) return 1;
  let segments = 1;
  let used = 0;
  for (const size of pieces) {
    if (used + size > limits.perSegment) {
      segments += 1;
      used = 0;
    }
    used += size;
  }
  return segments;
}
