/**
 * SMS sends: agents' replies handed to the provider's message API over HTTP (the Twilio client the
 * outbound worker uses), 16 at a time, against the local server speaking Twilio's API in a process of
 * its own (bench/delivery-sinks.ts). Reports sends per second and the CPU each send costs this
 * process, which is what every SMS reply of a lifecycle pays.
 */
import { sendTwilioMessage } from '../src/channels/sms/twilio-client.ts';
import { startDeliverySinks } from './delivery-sinks.ts';
import { isMain, round, type Figures } from './support.ts';

export async function run(options: { sends?: number; concurrency?: number } = {}): Promise<Figures> {
  const total = options.sends ?? 3_000;
  const concurrency = options.concurrency ?? 16;
  const sinks = await startDeliverySinks();
  try {
    const { url, accountSid, authToken } = sinks.twilio;
    const send = (key: string) => sendTwilioMessage({ baseUrl: url, accountSid, authToken, from: '+14155550100', to: '+14155552671', body: 'Done, thank you.', idempotencyKey: key });
    // Warm up: connections opened, code compiled.
    for (let i = 0; i < 300; i++) await send(`warmup-${i}`);
    await sinks.mark();
    let next = 0;
    const cpuBefore = process.cpuUsage();
    const begin = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < total) await send(`send-${next++}`);
      }),
    );
    const seconds = (performance.now() - begin) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    const counts = await sinks.count();
    if (counts.sms < total) throw new Error(`${counts.sms} of ${total} sends arrived`);
    return {
      sends: total,
      concurrency,
      sendsPerSecond: round(total / seconds),
      processCpuMsPerSend: round((cpu.user + cpu.system) / 1000 / total, 3),
      providerCpuMsPerSend: round(counts.cpuMs / total, 3),
    };
  } finally {
    await sinks.close();
  }
}

if (isMain(import.meta.url)) console.log(JSON.stringify(await run()));
