/**
 * Aged-item alerts over HTTP and SSE: an SMS waiting past its threshold (1 s here) raises an alert on
 * the supervisors' stream, stored and listed; it clears when an agent accepts the interaction. Items
 * that moved in time, or that no rule watches, raise nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deskConfig, TOKENS } from '../support/desk.ts';
import { client, openEventStream } from '../support/http-client.ts';
import { startTestSwitchboard, type TestSwitchboard } from '../support/switchboard.ts';

let sb: TestSwitchboard;

beforeAll(async () => {
  sb = await startTestSwitchboard(
    deskConfig({
      alerts: [
        { id: 'sms-waiting', name: 'SMS waiting', watch: 'waiting', after: '1s', channel: 'sms' },
        { id: 'billing-drafts', watch: 'active', after: '1s', workgroup: 'billing' },
      ],
    }),
  );
});
afterAll(async () => {
  await sb?.stop();
});

type Alert = { id: string; ruleId: string; interactionId: string; watch: string; clearedAt: string | null; clearedBy: string | null; clearedByActor: string | null };

describe('aged-item alerts', () => {
  it('raises an alert when an SMS waits past its threshold and clears it when it is accepted', async () => {
    const admin = client(sb.url, TOKENS.admin);
    const supervisor = client(sb.url, TOKENS.supervisor);
    const alice = client(sb.url, TOKENS.alice);
    const events = await openEventStream(`${sb.url}/api/supervisor/events`, TOKENS.supervisor);

    // Nobody is available: the SMS waits, and so does an email (which no rule watches).
    const sms = await admin.post<{ id: string }>('/api/interactions', { channel: 'sms', from: '+15551230009', to: '+15550001111', body: 'Where is my parcel?' });
    const email = await admin.post<{ id: string }>('/api/interactions', { channel: 'email', from: 'a@example.com', to: 's@example.com', subject: 'hi', body: 'hello' });
    const raised = await events.next('alert', (e) => e.data.interactionId === sms.body.id, 10_000);
    expect(raised.data).toMatchObject({ ruleId: 'sms-waiting', name: 'SMS waiting', watch: 'waiting', channel: 'sms', workgroup: 'support', state: 'queued', thresholdMs: 1_000 });
    expect(raised.id).not.toBeNull();
    const open = await supervisor.get<{ alerts: Alert[] }>('/api/supervisor/alerts?status=open');
    expect(open.body.alerts.map((a) => a.interactionId)).toEqual([sms.body.id]);
    expect(open.body.alerts.map((a) => a.interactionId)).not.toContain(email.body.id);
    // The billing supervisor does not see support's alerts.
    expect((await client(sb.url, TOKENS.billingSupervisor).get<{ alerts: Alert[] }>('/api/supervisor/alerts')).body.alerts).toEqual([]);

    const aliceEvents = await openEventStream(`${sb.url}/api/me/events`, TOKENS.alice);
    await alice.put('/api/me/status', { status: 'available' });
    const offer = await aliceEvents.next('offer', (e) => e.data.interactionId === sms.body.id);
    // Offered is still waiting; only accepting moves it.
    expect((await supervisor.get<{ alerts: Alert[] }>('/api/supervisor/alerts?status=open')).body.alerts).toHaveLength(1);
    await alice.post(`/api/interactions/${String(offer.data.interactionId)}/accept`);
    const cleared = await events.next('alert_cleared', (e) => e.data.interactionId === sms.body.id);
    expect(cleared.data).toMatchObject({ alertId: raised.data.alertId, by: 'ACCEPT', state: 'active', workgroup: 'support' });

    const all = await supervisor.get<{ alerts: Alert[] }>('/api/supervisor/alerts');
    expect(all.body.alerts).toHaveLength(1);
    expect(all.body.alerts[0]).toMatchObject({ id: raised.data.alertId, clearedBy: 'ACCEPT', clearedByActor: 'user:alice' });
    expect(all.body.alerts[0]?.clearedAt).not.toBeNull();
    expect((await supervisor.get<{ alerts: Alert[] }>('/api/supervisor/alerts?status=open')).body.alerts).toEqual([]);
    await aliceEvents.close();
    await events.close();
  });

  it('raises nothing for an item that moved before its threshold', async () => {
    const admin = client(sb.url, TOKENS.admin);
    const alice = client(sb.url, TOKENS.alice);
    const aliceEvents = await openEventStream(`${sb.url}/api/me/events`, TOKENS.alice);
    const sms = await admin.post<{ id: string }>('/api/interactions', { channel: 'sms', from: '+15551230010', to: '+15550001111', body: 'Quick one' });
    await aliceEvents.next('offer', (e) => e.data.interactionId === sms.body.id);
    await alice.post(`/api/interactions/${sms.body.id}/accept`);
    await new Promise((resolve) => setTimeout(resolve, 1_800));
    const alerts = await sb.database.sql`select id from desk_alerts where interaction_id = ${sms.body.id}`;
    expect(alerts).toHaveLength(0);
    await aliceEvents.close();
  });

  it('watches drafts left open by an agent, per workgroup', async () => {
    const admin = client(sb.url, TOKENS.admin);
    const carmen = client(sb.url, TOKENS.carmen);
    const events = await openEventStream(`${sb.url}/api/supervisor/events`, TOKENS.billingSupervisor);
    const carmenEvents = await openEventStream(`${sb.url}/api/me/events`, TOKENS.carmen);
    await carmen.put('/api/me/status', { status: 'available' });
    const { body } = await admin.post<{ id: string }>('/api/interactions', { channel: 'email', from: 'r@example.com', to: 's@example.com', subject: 'A return', body: 'I want to return it' });
    await carmenEvents.next('offer', (e) => e.data.interactionId === body.id);
    await carmen.post(`/api/interactions/${body.id}/accept`);
    const raised = await events.next('alert', (e) => e.data.interactionId === body.id, 10_000);
    expect(raised.data).toMatchObject({ ruleId: 'billing-drafts', watch: 'active', workgroup: 'billing', agentId: 'carmen' });
    await carmen.post(`/api/interactions/${body.id}/done`);
    const cleared = await events.next('alert_cleared', (e) => e.data.interactionId === body.id);
    expect(cleared.data).toMatchObject({ by: 'DONE', state: 'wrapUp' });
    await carmenEvents.close();
    await events.close();
  });
});
