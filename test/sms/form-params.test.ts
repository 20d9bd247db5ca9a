import { describe, expect, it } from 'vitest';
import { encodeFormParams, parseFormParams } from '../../src/channels/sms/form-params.ts';

describe('parseFormParams', () => {
  it('decodes a form body, keeping repeated names as arrays', () => {
    expect(parseFormParams('Body=Hello+world%21&To=%2B14155552671&MediaUrl=a&MediaUrl=b&MediaUrl=c')).toEqual({
      Body: 'Hello world!',
      To: '+14155552671',
      MediaUrl: ['a', 'b', 'c'],
    });
  });

  it('keeps empty values and reads URLSearchParams', () => {
    expect(parseFormParams(new URLSearchParams('Body=&NumMedia=0'))).toEqual({ Body: '', NumMedia: '0' });
  });

  it('treats __proto__ as an ordinary name', () => {
    const params = parseFormParams('__proto__=x&a=1');
    expect(Object.keys(params).sort()).toEqual(['__proto__', 'a']);
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });
});

describe('encodeFormParams', () => {
  it('encodes values, repeats arrays and drops undefined', () => {
    const form = encodeFormParams({ Body: 'a b&c=d', To: '+1', Media: ['x', 'y'], StatusCallback: undefined });
    expect(form).toBe('Body=a+b%26c%3Dd&To=%2B1&Media=x&Media=y');
    expect(parseFormParams(form)).toEqual({ Body: 'a b&c=d', To: '+1', Media: ['x', 'y'] });
  });
});
