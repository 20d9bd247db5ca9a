/**
 * Round trips to Postgres, and what they cost when the database is a network hop away. A Switchboard
 * connects through a proxy that counts the process's turns (each time it sends after hearing back)
 * and holds every chunk `delayMs` in each direction (default 1 ms), as a database on another machine
 * of the same data center would. Interactions are taken in one at a time (nothing else runs, so no
 * transaction shares its commit), first with nobody to offer them to, then offered to an agent; the
 * figures are round trips per intake and from intake until everything it set off has settled (intake,
 * routing, offer, outbox), and the intake's and intake-to-offer's latency. Then SMS arrive at the
 * Twilio webhook over HTTP, one at a time, each from a new customer and offered to an agent who takes
 * SMS: round trips per webhook (claim, conversation, reservation, interaction, commit) and its
 * response time. Between the two, an agent accepts, answers, finishes and wraps up twenty of the email
 * (each action's own round trips, until it has committed).
 *
 *   npx tsx bench/round-trips.bench.ts           ROUND_TRIPS_DELAY_MS=0 for the local connection
 */
import postgres from 'postgres';
import { agents, benchConfig, isMain, percentile, round, startBenchSwitchboard, waitFor, type Figures } from './support.ts';
import { adminDatabaseUrl } from '../test/support/env.ts';
import { sendInbound } from '../test/support/fake-twilio.ts';
import { freePort } from '../test/support/sms.ts';
import { startTurnCountingProxy } from '../test/support/turn-counting-proxy.ts';

export async function run(options: { count?: number; delayMs?: number } = {}): Promise<Figures> {
  const count = options.count ?? 100;
  const delayMs = options.delayMs ?? Number(process.env.ROUND_TRIPS_DELAY_MS ?? 1);
  const server = new URL(adminDatabaseUrl());
  const proxy = await startTurnCountingProxy({ host: server.hostname, port: Number(server.port || 5432) }, { delayMs });
  const connectVia = (url: string) => {
    const via = new URL(url);
    via.host = `127.0.0.1:${proxy.port}`;
    return via.toString();
  };
  // One agent, who takes email only: the SMS taken in first stay queued, the email after are offered to
  // her. Others take the SMS that come through the webhook, last.
  const port = await freePort();
  const webhook = `http://127.0.0.1:${port}/webhooks/sms/twilio`;
  const twilio = { id: 'twilio', accountSid: 'AC00000000000000000000000000000000', authToken: 'round-trips-auth-token', baseUrl: 'http://127.0.0.1:9' };
  const texters = Array.from({ length: Math.ceil(count / 50) }, (_, i) => ({ ...agents(1, { email: 0, sms: 50 })[0]!, id: `texter${i}`, token: `bench-texter-token-${String(i).padStart(6, '0')}` }));
  const config = {
    ...benchConfig([...agents(1, { email: 50, sms: 0 }), ...texters]),
    smsProviders: [{ ...twilio, webhookBaseUrl: `http://127.0.0.1:${port}` }],
    smsNumbers: [{ number: '+14155550100', kind: 'long' as const, provider: 'twilio' }],
  };
  const sb = await startBenchSwitchboard(config, { connectVia, relayPollMs: 1_000, port });
  // The benchmark watches on a connection of its own, around the proxy.
  const watch = postgres(sb.db.url, { max: 1, onnotice: () => {} });
  try {
    await sb.engine.setPresence('agent0', { type: 'GO_AVAILABLE', at: new Date().toISOString() }, 'bench');
    // Settled: nothing is due in the outbox and the process has not turned to Postgres for a while.
    let lastTurns = -1;
    let lastMoved = 0;
    const quiet = async () => {
      if (proxy.turns !== lastTurns) {
        lastTurns = proxy.turns;
        lastMoved = performance.now();
        return false;
      }
      if (performance.now() - lastMoved < 30) return false;
      return (await watch<{ n: number }[]>`select count(*)::int as n from outbox where available_at <= now()`)[0]?.n === 0;
    };
    const state = async (id: string) => (await watch<{ state: string }[]>`select state from interactions where id = ${id}`)[0]?.state;
    const intake = (n: number, channel: 'email' | 'sms') =>
      sb.engine.intake({ channel, from: channel === 'sms' ? `+1415${2_000_000 + n}` : `c${n}@example.com`, to: 'support@example.com', subject: 'hello', body: 'Please help.' }, 'bench');

    // Intake alone (the routing that follows finds nobody for an SMS; its turns come after the intake's).
    const intakeMs: number[] = [];
    const intakeTurns: number[] = [];
    for (let n = 0; n < count; n++) {
      await waitFor(quiet, 10_000, 5);
      const turns = proxy.turns;
      const started = performance.now();
      await intake(n, 'sms');
      intakeMs.push(performance.now() - started);
      intakeTurns.push(proxy.turns - turns);
    }
    const offered: string[] = [];
    const offerMs: number[] = [];
    const offerTurns: number[] = [];
    for (let n = 0; n < Math.min(count, 40); n++) {
      await waitFor(quiet, 10_000, 5);
      const turns = proxy.turns;
      const started = performance.now();
      const { id } = await intake(count + n, 'email');
      offered.push(id);
      while ((await state(id)) !== 'offered') await new Promise((resolve) => setTimeout(resolve, 1));
      offerMs.push(performance.now() - started);
      await waitFor(quiet, 10_000, 5);
      offerTurns.push(proxy.turns - turns);
    }
    // The agent works the offered email through: each action's own round trips, until it has committed.
    const actionTurns: Record<'accept' | 'reply' | 'done' | 'wrapUp', number[]> = { accept: [], reply: [], done: [], wrapUp: [] };
    const act = async (name: keyof typeof actionTurns, action: () => Promise<unknown>) => {
      await waitFor(quiet, 10_000, 5);
      const turns = proxy.turns;
      await action();
      actionTurns[name].push(proxy.turns - turns);
    };
    for (const id of offered.slice(0, 20)) {
      await act('accept', () => sb.actions.accept(id, 'agent0'));
      await act('reply', () => sb.actions.reply(id, 'agent0', 'Thank you, done.'));
      await act('done', () => sb.actions.done(id, 'agent0'));
      await act('wrapUp', () => sb.actions.wrapUp(id, 'agent0', 'resolved'));
    }
    for (const { id } of texters) await sb.engine.setPresence(id, { type: 'GO_AVAILABLE', at: new Date().toISOString() }, 'bench');
    const smsMs: number[] = [];
    const smsTurns: number[] = [];
    for (let n = 0; n < count; n++) {
      const message = { AccountSid: twilio.accountSid, From: `+1415${3_000_000 + n}`, To: '+14155550100', Body: 'Please help.' };
      await waitFor(quiet, 10_000, 5);
      const turns = proxy.turns;
      const started = performance.now();
      const response = await sendInbound(webhook, message, twilio.authToken);
      smsMs.push(performance.now() - started);
      smsTurns.push(proxy.turns - turns);
      if (response.status !== 200) throw new Error(`the webhook answered ${response.status}`);
    }
    const [offeredSms] = await watch<{ n: number }[]>`select count(*)::int as n from interactions where channel = 'sms' and state = 'offered'`;
    if (offeredSms?.n !== count) throw new Error(`${offeredSms?.n} of ${count} SMS offered`);
    return {
      name: 'round-trips',
      delayMsEachWay: delayMs,
      intakes: count,
      roundTripsPerIntake: percentile(intakeTurns, 50),
      intakeP50Ms: round(percentile(intakeMs, 50), 2),
      offers: offerMs.length,
      roundTripsIntakeToOfferSettled: percentile(offerTurns, 50),
      intakeToOfferP50Ms: round(percentile(offerMs, 50), 2),
      roundTripsAccept: percentile(actionTurns.accept, 50),
      roundTripsReply: percentile(actionTurns.reply, 50),
      roundTripsDone: percentile(actionTurns.done, 50),
      roundTripsWrapUp: percentile(actionTurns.wrapUp, 50),
      smsWebhooks: count,
      roundTripsPerSmsWebhook: percentile(smsTurns, 50),
      smsWebhookP50Ms: round(percentile(smsMs, 50), 2),
    };
  } finally {
    await watch.end();
    await sb.stop();
    await proxy.close();
  }
}

if (isMain(import.meta.url)) console.log(JSON.stringify(await run(), null, 2));
