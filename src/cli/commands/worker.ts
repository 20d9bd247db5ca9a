/** `npm run worker`: a process that runs only the workers (timers, outbound, outbox relay, pollers). */
import { run as start } from './start.ts';

export function run(args: string[]): Promise<number> {
  return start([...args, '--workers-only']);
}
