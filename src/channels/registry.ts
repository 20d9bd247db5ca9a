/** The channels every Switchboard process starts (each does nothing when it has no configuration). */
import type { ChannelFactory } from './channel-module.ts';
import { emailChannel } from './email/email-channel.ts';
import { smsChannel } from './sms/sms-channel.ts';

export const CHANNELS: ChannelFactory[] = [emailChannel, smsChannel];
