/**
 * Where a benchmark's replies go, in a process of their own so that their CPU is not counted as
 * Switchboard's: a real SMTP server (the tests' sink, on 127.0.0.1, counting what it accepts without
 * parsing it) for email and the local server speaking Twilio's Messages API for SMS. Prints one JSON line with where they listen, then answers
 * each line read from standard input: `mark` starts counting CPU again, `count` prints what arrived
 * and the CPU milliseconds used since the mark. Exits when standard input closes.
 *
 * `startDeliverySinks()` runs it and talks to it.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { FakeTwilio } from '../test/support/fake-twilio.ts';
import { startSmtpSink } from '../test/support/mail-servers.ts';
import { isMain } from './support.ts';

export interface SinkAddresses {
  smtpPort: number;
  twilio: { url: string; accountSid: string; authToken: string };
}

export interface SinkCounts {
  emails: number;
  sms: number;
  cpuMs: number;
}

export interface DeliverySinks extends SinkAddresses {
  /** Starts counting CPU from now. */
  mark(): Promise<void>;
  /** What has arrived so far, and the CPU used since the mark. */
  count(): Promise<SinkCounts>;
  close(): Promise<void>;
}

export async function startDeliverySinks(): Promise<DeliverySinks> {
  const script = fileURLToPath(import.meta.url);
  const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), script], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async (): Promise<string> => {
    const line = await lines.next();
    if (line.done) throw new Error('the delivery sinks exited');
    return line.value;
  };
  const ask = async (command: string): Promise<string> => {
    child.stdin.write(`${command}\n`);
    return next();
  };
  const addresses = JSON.parse(await next()) as SinkAddresses;
  return {
    ...addresses,
    mark: async () => void (await ask('mark')),
    count: async () => JSON.parse(await ask('count')) as SinkCounts,
    close: async () => {
      const exited = new Promise((resolve) => child.once('close', resolve));
      child.stdin.end();
      await exited;
    },
  };
}

async function serve(): Promise<void> {
  // Counted, not parsed: the sink stands in for a mail server that would run elsewhere.
  const smtp = await startSmtpSink({ keep: false });
  const twilio = await FakeTwilio.start();
  const cpu = () => {
    const usage = process.cpuUsage();
    return (usage.user + usage.system) / 1000;
  };
  let mark = cpu();
  const addresses: SinkAddresses = { smtpPort: smtp.port, twilio: { url: twilio.url, accountSid: twilio.accountSid, authToken: twilio.authToken } };
  process.stdout.write(`${JSON.stringify(addresses)}\n`);
  for await (const line of createInterface({ input: process.stdin })) {
    if (line === 'mark') {
      mark = cpu();
      process.stdout.write('{}\n');
    } else if (line === 'count') {
      const counts: SinkCounts = { emails: smtp.received, sms: twilio.messages.length, cpuMs: cpu() - mark };
      process.stdout.write(`${JSON.stringify(counts)}\n`);
    }
  }
  await Promise.all([smtp.close(), twilio.close()]);
}

if (isMain(import.meta.url)) await serve();
