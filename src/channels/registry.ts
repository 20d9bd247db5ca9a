/** The channels every Switchboard process starts (each does nothing when it has no configuration). */
import type { ChannelFactory } from './channel-module.ts';

export const CHANNELS: ChannelFactory[] = [];
