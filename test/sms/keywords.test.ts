import { describe, expect, it } from 'vitest';
import { classifyKeyword } from '../../src/channels/sms/keywords.ts';

describe('classifyKeyword', () => {
  it.each(['STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT'])('%s opts out', (word) => {
    expect(classifyKeyword(word)).toBe('opt_out');
  });

  it.each(['START', 'UNSTOP', 'YES'])('%s opts in', (word) => {
    expect(classifyKeyword(word)).toBe('opt_in');
  });

  it.each(['HELP', 'INFO'])('%s asks for help', (word) => {
    expect(classifyKeyword(word)).toBe('help');
  });

  it.each(['stop', 'Stop', 'sToP', 'unsubscribe', 'yes', 'Help'])('ignores case: %j', (body) => {
    expect(classifyKeyword(body)).not.toBeNull();
  });

  it.each(['  stop  ', '\nSTOP\r\n', '\tstop', 'Stop.', 'STOP!', 'stop!!!', 'stop?', 'Stop. ', 'help?!', 'ＳＴＯＰ'])(
    'ignores surrounding whitespace, trailing punctuation and full-width forms: %j',
    (body) => {
      expect(classifyKeyword(body)).not.toBeNull();
    },
  );

  it.each([
    'stop please',
    'please stop',
    "don't stop",
    'STOP STOP',
    'st op',
    'stopp',
    'stopping',
    'yes please',
    'yes, I would like that',
    'helpful',
    '.stop',
    '',
    '   ',
    '!',
    'hello',
  ])('is not a keyword: %j', (body) => {
    expect(classifyKeyword(body)).toBeNull();
  });
});
