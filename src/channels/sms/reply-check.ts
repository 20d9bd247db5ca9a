// Checks an agent's SMS reply before it is recorded: a customer who opted out of the number gets
// nothing (409 SMS_OPTED_OUT), and a text over the number's segment limit is refused
// (400 SMS_TOO_MANY_SEGMENTS, with the count in the details). A refused reply stores nothing.
import type { ReplyCheck } from '../channel-module.ts';
import { SwitchboardError } from '../../errors.ts';
import { isOptedOut } from './opt-outs.ts';
import { DEFAULT_MAX_SEGMENTS } from './sms-config.ts';
import type { SmsDirectory } from './sms-directory.ts';
import { countSegments } from './segments.ts';

export function smsReplyCheck(directory: SmsDirectory): ReplyCheck {
  return async (tx, reply) => {
    if (await isOptedOut(tx, reply.from, reply.to)) {
      throw new SwitchboardError('SMS_OPTED_OUT', `${reply.to} has opted out of messages from ${reply.from}; they must text START to receive messages again`);
    }
    const maxSegments = directory.number(reply.from)?.maxSegments ?? DEFAULT_MAX_SEGMENTS;
    const { encoding, segments, characters } = countSegments(reply.body);
    if (segments > maxSegments) {
      throw new SwitchboardError('SMS_TOO_MANY_SEGMENTS', `the reply needs ${segments} ${encoding} segments; at most ${maxSegments} are allowed`, {
        encoding,
        segments,
        characters,
        maxSegments,
      });
    }
  };
}
