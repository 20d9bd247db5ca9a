/**
 * Opt-out compliance and replies over real HTTP: STOP records the opt-out with its history and is
 * confirmed exactly once; every later message to that sender is refused (an agent's reply with 409
 * SMS_OPTED_OUT, storing nothing; acknowledgements are not sent; a reply queued before the STOP is not
 * sent after it); START opts back in; HELP is answered; replies over the number's segment limit are
 * refused; the draft preview reports encoding and segments.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { twilioSid } from '../support/fake-twilio.ts';
import { client, openEventStream } from '../support/http-client.ts';
import { COMPANY_NUMBER, TOKENS, startSmsTestBed, storedRows, type SmsTestBed } from '../support/sms.ts';

let bed: SmsTestBed;

beforeAll(async () => {
  bed = await startSmsTestBed();
});
afterAll(async () => {
  await bed?.stop();
});

const text = (from: string, body: string, messageSid?: string) =>
  bed.twilio.sendInbound(bed.inboundUrl(), { From: from, To: COMPANY_NUMBER, Body: body, MessageSid: messageSid });
const sentTo = (customer: string) => bed.twilio.messages.filter((m) => m.to === customer).map((m) => m.body);

const OPT_OUT_CONFIRMATION = 'You have been unsubscribed and will receive no further messages. Reply START to resubscribe.';
const OPT_IN_CONFIRMATION = 'You have been resubscribed. Reply STOP to unsubscribe.';

/** Makes Alice available, has `customer` write, and has Alice accept that interaction; returns its id. */
async function activeConversation(customer: string, body: string): Promise<string> {
  const alice = client(bed.sb.url, TOKENS.alice);
  const events = await openEventStream(`${bed.sb.url}/api/me/events`, TOKENS.alice);
  await alice.put('/api/me/status', { status: 'available' });
  const messageSid = twilioSid('SM');
  expect((await text(customer, body, messageSid)).status).toBe(200);
  const [row] = await bed.sb.database.sql<{ interaction_id: string }[]>`select interaction_id from sms_inbound where provider_message_id = ${messageSid}`;
  const id = row?.interaction_id ?? '';
  await events.next('offer', (e) => e.data.interactionId === id);
  expect((await alice.post(`/api/interactions/${id}/accept`)).status).toBe(200);
  await events.close();
  return id;
}

/** Alice closes the interaction and goes not ready, so the next test starts from a clean desk. */
async function closeConversation(id: string): Promise<void> {
  const alice = client(bed.sb.url, TOKENS.alice);
  expect((await alice.post(`/api/interactions/${id}/done`)).status).toBe(200);
  expect((await alice.post(`/api/interactions/${id}/wrap-up`, { disposition: 'resolved' })).status).toBe(200);
  await alice.put('/api/me/status', { status: 'not_ready', reason: 'Lunch' });
}

describe('STOP and START', () => {
  it('confirms STOP once, refuses replies until START, then lets them through', async () => {
    const customer = '+14155550301';
    const alice = client(bed.sb.url, TOKENS.alice);
    const id = await activeConversation(customer, 'Hello, question about shipping');
    await expect.poll(() => sentTo(customer).length, { timeout: 10_000 }).toBe(1); // the acknowledgement
    const events = await openEventStream(`${bed.sb.url}/api/me/events`, TOKENS.alice);

    const stopSid = 'SM' + 'a'.repeat(32);
    expect((await text(customer, 'Stop', stopSid)).status).toBe(200);
    expect((await text(customer, 'Stop', stopSid)).status).toBe(200); // the provider's retry
    await events.next('customer_message', (e) => e.data.interactionId === id); // the agent sees the STOP itself
    const optOut = await events.next('sms_opt_out');
    expect(optOut.data).toMatchObject({ interactionId: id, sender: customer, number: COMPANY_NUMBER, optedOut: true });
    const [claim] = await bed.sb.database.sql`select interaction_id, keyword from sms_inbound where provider_message_id = ${stopSid}`;
    expect(claim).toEqual({ interaction_id: id, keyword: 'opt_out' });
    await expect.poll(() => sentTo(customer), { timeout: 10_000 }).toEqual([expect.stringMatching(/^Thanks/), OPT_OUT_CONFIRMATION]);

    // A second STOP (a new message) is recorded, but not confirmed again.
    expect((await text(customer, 'STOP')).status).toBe(200);
    const history = await bed.sb.database.sql<{ action: string; keyword: string }[]>`
      select action, keyword from sms_opt_out_events where sender = ${customer} order by id`;
    expect(history).toEqual([{ action: 'opt_out', keyword: 'Stop' }, { action: 'opt_out', keyword: 'STOP' }]);

    // The agent's reply is refused and nothing is stored.
    const before = await storedRows(bed.sb.database.sql);
    const refused = await alice.post(`/api/interactions/${id}/reply`, { body: 'Are you still there?' });
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ error: { code: 'SMS_OPTED_OUT' } });
    expect(await storedRows(bed.sb.database.sql)).toEqual(before);

    // START opts back in and is confirmed; the reply now goes out.
    expect((await text(customer, 'start')).status).toBe(200);
    await events.next('sms_opt_out', (e) => e.data.optedOut === false);
    const allowed = await alice.post<{ messageId: string }>(`/api/interactions/${id}/reply`, { body: 'Welcome back!' });
    expect(allowed.status).toBe(201);
    await expect
      .poll(() => sentTo(customer), { timeout: 10_000 })
      .toEqual([expect.stringMatching(/^Thanks/), OPT_OUT_CONFIRMATION, OPT_IN_CONFIRMATION, 'Welcome back!']);
    const [state] = await bed.sb.database.sql<{ opted_out: boolean }[]>`select opted_out from sms_opt_outs where sender = ${customer}`;
    expect(state?.opted_out).toBe(false);
    await events.close();
    await closeConversation(id);
  });

  it('records a STOP from a sender without an open interaction as a discarded interaction', async () => {
    const customer = '+14155550302';
    expect((await text(customer, 'unsubscribe')).status).toBe(200);
    const [row] = await bed.sb.database.sql<{ id: string; state: string; discard_reason: string; agent_id: string | null }[]>`
      select id, state, discard_reason, agent_id from interactions where from_address = ${customer}`;
    expect(row).toMatchObject({ state: 'discarded', discard_reason: 'opt_out', agent_id: null });
    const [claim] = await bed.sb.database.sql`select interaction_id, keyword from sms_inbound where sender = ${customer}`;
    expect(claim).toEqual({ interaction_id: row?.id, keyword: 'opt_out' });
    await expect.poll(() => sentTo(customer), { timeout: 10_000 }).toEqual([OPT_OUT_CONFIRMATION]);

    // Writing again while opted out reaches an agent, but no acknowledgement is sent.
    const id = await activeConversation(customer, 'Actually I have a question');
    const interactions = await bed.sb.database.sql<{ id: string; state: string }[]>`
      select id, state from interactions where from_address = ${customer} order by created_at`;
    expect(interactions.map((i) => [i.id === id, i.state])).toEqual([[false, 'discarded'], [true, 'active']]);
    await closeConversation(id);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(sentTo(customer)).toEqual([OPT_OUT_CONFIRMATION]);
    const pending = await bed.sb.database.sql`select 1 from messages where to_address = ${customer} and direction = 'out' and metadata->>'kind' = 'acknowledgement'`;
    expect(pending).toHaveLength(0);
  });

  it('does not send a reply queued before a STOP once the STOP has arrived', async () => {
    const customer = '+14155550303';
    const alice = client(bed.sb.url, TOKENS.alice);
    const id = await activeConversation(customer, 'Hi again');
    await expect.poll(() => sentTo(customer).length, { timeout: 10_000 }).toBe(1);

    const requests = bed.twilio.requestCount;
    bed.twilio.failNext(1, 503);
    const replied = await alice.post<{ messageId: string }>(`/api/interactions/${id}/reply`, { body: 'One moment please' });
    expect(replied.status).toBe(201);
    await expect.poll(() => bed.twilio.requestCount, { timeout: 10_000, interval: 20 }).toBeGreaterThan(requests); // first attempt failed
    expect((await text(customer, 'QUIT')).status).toBe(200);

    await expect
      .poll(async () => (await bed.sb.database.sql<{ status: string }[]>`select status from messages where id = ${replied.body.messageId}`)[0]?.status, { timeout: 15_000 })
      .toBe('failed');
    const [failed] = await bed.sb.database.sql<{ metadata: { error: { code: string } } }[]>`select metadata from messages where id = ${replied.body.messageId}`;
    expect(failed?.metadata.error.code).toBe('SMS_OPTED_OUT');
    expect(sentTo(customer)).toEqual([expect.stringMatching(/^Thanks/), OPT_OUT_CONFIRMATION]);
     await closeConversation(id);
  });
});

describe('HELP and YES', () => {
  it('answers HELP with the help template without involving an agent', async () => {
    const customer = '+14155550304';
    expect((await text(customer, ' help. ')).status).toBe(200);
    await expect.poll(() => sentTo(customer), { timeout: 10_000 }).toEqual(['Acme support: reply STOP to opt out. Help: acme.example']);
    const [row] = await bed.sb.database.sql<{ state: string; discard_reason: string }[]>`select state, discard_reason from interactions where from_address = ${customer}`;
    expect(row).toEqual({ state: 'discarded', discard_reason: 'help' });
  });

  it('treats YES from a sender who never opted out as an ordinary message', async () => {
    const customer = '+14155550305';
    const id = await activeConversation(customer, 'Yes');
    const [row] = await bed.sb.database.sql<{ state: string; discard_reason: string | null }[]>`
      select state, discard_reason from interactions where id = ${id}`;
    expect(row).toEqual({ state: 'active', discard_reason: null });
    expect(await bed.sb.database.sql`select 1 from sms_opt_out_events where sender = ${customer}`).toHaveLength(0);
    await closeConversation(id);
  });
});

describe('segments', () => {
  it('refuses a reply over the number’s segment limit and stores nothing', async () => {
    const customer = '+14155550306';
    const alice = client(bed.sb.url, TOKENS.alice);
    const id = await activeConversation(customer, 'Tell me everything');
    const before = await storedRows(bed.sb.database.sql);
    const long = await alice.post(`/api/interactions/${id}/reply`, { body: 'é'.repeat(200) + '😀'.repeat(60) });
    expect(long.status).toBe(400);
    expect(long.body).toMatchObject({ error: { code: 'SMS_TOO_MANY_SEGMENTS', details: { encoding: 'UCS-2', segments: 5, maxSegments: 2 } } });
    expect(await storedRows(bed.sb.database.sql)).toEqual(before);
    expect((await alice.post(`/api/interactions/${id}/reply`, { body: 'x'.repeat(306) })).status).toBe(201); // exactly 2 GSM-7 segments
    await closeConversation(id);
  });

  it('previews a draft: encoding, segments, characters, and the limit of the interaction’s number', async () => {
    const alice = client(bed.sb.url, TOKENS.alice);
    expect((await alice.post('/api/sms/segments', { body: 'a'.repeat(160) })).body).toEqual({ encoding: 'GSM-7', segments: 1, characters: 160 });
    expect((await alice.post('/api/sms/segments', { body: 'a'.repeat(161) })).body).toEqual({ encoding: 'GSM-7', segments: 2, characters: 161 });
    expect((await alice.post('/api/sms/segments', { body: '€'.repeat(81), number: COMPANY_NUMBER })).body).toEqual({
      encoding: 'GSM-7',
      segments: 2,
      characters: 81,
      maxSegments: 2,
      withinLimit: true,
    });
    const emoji = await client(bed.sb.url, TOKENS.supervisor).post('/api/sms/segments', { body: 'ok 👍'.repeat(40), number: '+1 415 555 0100' });
    expect(emoji.body).toMatchObject({ encoding: 'UCS-2', segments: 3, characters: 160, withinLimit: false });

    expect((await alice.post('/api/sms/segments', {})).status).toBe(400);
    expect((await alice.post('/api/sms/segments', { body: 'x', number: '+14155550999' })).body).toMatchObject({ error: { code: 'UNKNOWN_NUMBER' } });
    expect((await client(bed.sb.url).post('/api/sms/segments', { body: 'x' })).status).toBe(401);
  });
});
