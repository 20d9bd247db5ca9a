import { describe, expect, it } from 'vitest';
import { checkSegmentLimit, countSegments, gsmSeptets } from '../../src/channels/sms/segments.ts';
import { SmsChannelError, SmsTooLongError } from '../../src/channels/sms/errors.ts';

const digits = (n: number): string => Array.from({ length: n }, (_, i) => String((i + 2) % 10)).join('');

describe('countSegments: vectors from Twilio\'s message-segment-calculator tests', () => {
  // TwilioDevEd/message-segment-calculator, tests/index.test.js and tests/segments.test.js.
  it('GSM-7 with an escape character in one segment (160 septets)', () => {
    const body = `{${digits(158)}`;
    expect(body).toHaveLength(159);
    expect(countSegments(body)).toEqual({ encoding: 'GSM-7', segments: 1, characters: 159, units: 160 });
  });

  it('GSM-7 with an escape character in two segments (161 septets)', () => {
    expect(countSegments(`{${digits(159)}`)).toMatchObject({ encoding: 'GSM-7', segments: 2, units: 161 });
  });

  it('UCS-2 with an emoji in one segment (70 code units)', () => {
    expect(countSegments(`😜${digits(68)}`)).toEqual({ encoding: 'UCS-2', segments: 1, characters: 69, units: 70 });
  });

  it('UCS-2 with an emoji in two segments (71 code units)', () => {
    expect(countSegments(`😜${digits(69)}`)).toMatchObject({ encoding: 'UCS-2', segments: 2, units: 71 });
  });

  it('307 GSM-7 characters need a third segment holding one character', () => {
    expect(countSegments('1234567890'.repeat(30) + '1234567').segments).toBe(3);
  });

  it('135 UCS-2 code units (emoji first) need three segments', () => {
    expect(countSegments(`😜${digits(133)}`)).toMatchObject({ encoding: 'UCS-2', segments: 3, units: 135 });
  });
});

describe('countSegments: GSM-7', () => {
  it('counts a short ASCII text', () => {
    expect(countSegments('hello')).toEqual({ encoding: 'GSM-7', segments: 1, characters: 5, units: 5 });
  });

  it.each([
    [160, 1],
    [161, 2],
    [306, 2],
    [307, 3],
    [459, 3],
    [460, 4],
  ])('%i GSM characters take %i segment(s)', (length, segments) => {
    expect(countSegments('a'.repeat(length))).toMatchObject({ encoding: 'GSM-7', segments, characters: length, units: length });
  });

  it('counts each extension character as two septets', () => {
    for (const char of ['^', '{', '}', '\\', '[', '~', ']', '|', '€', '\f']) {
      expect(gsmSeptets(char)).toBe(2);
      expect(countSegments(char)).toEqual({ encoding: 'GSM-7', segments: 1, characters: 1, units: 2 });
    }
  });

  it('80 extension characters fill one segment exactly, 81 need two', () => {
    expect(countSegments('€'.repeat(80))).toMatchObject({ segments: 1, units: 160 });
    expect(countSegments('€'.repeat(81))).toMatchObject({ segments: 2, units: 162 });
  });

  it('never splits an escape pair across segments', () => {
    // 152 + 2 + 152 = 306 septets would fit two segments of 153, but the € cannot start at septet 153.
    const text = `${'a'.repeat(152)}€${'b'.repeat(152)}`;
    expect(countSegments(text)).toMatchObject({ encoding: 'GSM-7', segments: 3, units: 306 });
    expect(countSegments(`${'a'.repeat(151)}€${'b'.repeat(153)}`)).toMatchObject({ segments: 2, units: 306 });
  });

  it('accepts the whole GSM 03.38 basic set, Greek capitals included', () => {
    const basic =
      '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?' +
      '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
    expect(Array.from(basic)).toHaveLength(127); // 128 positions, one of them the escape
    expect(countSegments(basic)).toMatchObject({ encoding: 'GSM-7', units: 127, segments: 1 });
    expect(countSegments('ΔΦΓΛΩΠΨΣΘΞ')).toEqual({ encoding: 'GSM-7', segments: 1, characters: 10, units: 10 });
  });

  it('treats Greek capitals that only look like Latin letters as UCS-2', () => {
    expect(countSegments('ΑΒΓ').encoding).toBe('UCS-2'); // U+0391, U+0392 are not in GSM 03.38
  });

  it.each(['`', 'ç', 'á', 'ê', '’', '“', 'ü\u0308'])('switches to UCS-2 for %j', (char) => {
    expect(countSegments(`hello ${char}`).encoding).toBe('UCS-2');
  });

  it('counts CR LF as one character but two septets', () => {
    expect(countSegments('a\r\nb')).toEqual({ encoding: 'GSM-7', segments: 1, characters: 3, units: 4 });
  });

  it('counts the characters of any GSM-7 text as the grapheme segmenter does', () => {
    const alphabet = Array.from('@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓ !"#¤%&()*+,-./09:;<=>?¡AZÄÖÑÜ§¿azäöñüà\f^{}\\[~]|€');
    const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });
    let seed = 7;
    const next = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) % alphabet.length;
    for (let round = 0; round < 500; round++) {
      // Runs of CR and LF in any order, between other characters.
      const text = Array.from({ length: 1 + (round % 40) }, (_, i) => (i % 3 === 0 ? ['\r', '\n', '\r\n', '\n\r', '\r\r\n'][round % 5] : alphabet[next()])).join('');
      const count = countSegments(text);
      expect(count.encoding).toBe('GSM-7');
      expect(count.characters).toBe(Array.from(segmenter.segment(text)).length);
    }
  });

  it('counts an empty text as one segment, as Twilio does', () => {
    expect(countSegments('')).toEqual({ encoding: 'GSM-7', segments: 1, characters: 0, units: 0 });
  });
});

describe('countSegments: UCS-2', () => {
  it.each([
    [70, 1],
    [71, 2],
    [134, 2],
    [135, 3],
  ])('%i Cyrillic characters take %i segment(s)', (length, segments) => {
    expect(countSegments('ж'.repeat(length))).toMatchObject({ encoding: 'UCS-2', segments, characters: length, units: length });
  });

  it('makes a whole Latin + Cyrillic text UCS-2', () => {
    const text = `Hello, ${'Привет'} world`;
    expect(countSegments(text)).toEqual({ encoding: 'UCS-2', segments: 1, characters: text.length, units: text.length });
    const long = `${'a'.repeat(70)}ж`;
    expect(countSegments(long)).toMatchObject({ encoding: 'UCS-2', segments: 2, units: 71 });
  });

  it('counts an emoji as two code units and one character', () => {
    expect(countSegments('👍')).toEqual({ encoding: 'UCS-2', segments: 1, characters: 1, units: 2 });
    expect(countSegments('👍'.repeat(35))).toMatchObject({ segments: 1, units: 70 });
    expect(countSegments('👍'.repeat(36))).toMatchObject({ segments: 2, units: 72 });
  });

  it('never splits a surrogate pair across segments', () => {
    // 66 + 2 + 66 = 134 units would fit two segments of 67, but the emoji cannot straddle units 67-68.
    expect(countSegments(`${'a'.repeat(66)}😜${'b'.repeat(66)}`)).toMatchObject({ segments: 3, units: 134 });
    expect(countSegments(`${'a'.repeat(65)}😜${'b'.repeat(67)}`)).toMatchObject({ segments: 2, units: 134 });
  });

  it('keeps an emoji ZWJ sequence together and counts it as one character', () => {
    const family = '👨‍👩‍👧‍👦'; // 4 emoji joined by 3 ZWJ: 11 code units
    expect(countSegments(family)).toEqual({ encoding: 'UCS-2', segments: 1, characters: 1, units: 11 });
    // 133 units: splitting between code points would fit two segments (66 + 67); kept whole, the
    // family moves to the second segment (60 | 11 + 56 | 6).
    expect(countSegments(`${'a'.repeat(60)}${family}${'b'.repeat(62)}`)).toMatchObject({ segments: 3, units: 133 });
  });

  it('counts combining marks into their base character', () => {
    expect(countSegments('e\u0301')).toEqual({ encoding: 'UCS-2', segments: 1, characters: 1, units: 2 });
  });

  it('splits a single cluster longer than a segment between code points', () => {
    const zalgo = `a${'\u0301'.repeat(100)}`;
    expect(countSegments(zalgo)).toMatchObject({ encoding: 'UCS-2', characters: 1, units: 101, segments: 2 });
  });
});

describe('checkSegmentLimit', () => {
  it('returns the count when the text fits', () => {
    expect(checkSegmentLimit('a'.repeat(306), 2)).toMatchObject({ segments: 2 });
  });

  it('throws SmsTooLongError with code SMS_TOO_MANY_SEGMENTS when it does not', () => {
    let caught: unknown;
    try {
      checkSegmentLimit('a'.repeat(307), 2);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(SmsTooLongError);
    expect(caught).toBeInstanceOf(SmsChannelError);
    expect(caught).toMatchObject({ code: 'SMS_TOO_MANY_SEGMENTS', segments: 3, maxSegments: 2, retryable: false });
  });

  it('refuses a limit that is not a positive integer', () => {
    expect(() => checkSegmentLimit('hi', 0)).toThrow(RangeError);
    expect(() => checkSegmentLimit('hi', 1.5)).toThrow(RangeError);
  });
});
