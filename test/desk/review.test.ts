/**
 * Review before send, over HTTP and SSE: a flagged agent's reply waits `pending_review` (nothing is
 * handed to the channel) until a supervisor approves it; approved with an edit, the edited text goes
 * out and the edit is recorded; a rejected reply returns to its author with the comment on their
 * stream. Reviews are queued per supervisor workgroup, and every decision is in the history.
 */
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QUEUES } from '../../src/queues/names.ts';
import { sendJobId } from '../../src/queues/outbound-queue.ts';
import { deskConfig, recordingSender, TOKENS } from '../support/desk.ts';
import { redisUrl } from '../support/env.ts';
import { client, openEventStream } from '../support/http-client.ts';
import { startTestSwitchboard, type TestSwitchboard } from '../support/switchboard.ts';

let sb: TestSwitchboard;
let redis: Redis;
let outbound: Queue;
const sender = recordingSender();

beforeAll(async () => {
  sb = await startTestSwitchboard(deskConfig(), { senders: new Map([['email', sender]]) });
  redis = new Redis(redisUrl(), { maxRetriesPerRequest: null });
  outbound = new Queue(QUEUES.outbound, { connection: redis, prefix: sb.prefix });
  // Only the trainee takes work here.
  await client(sb.url, TOKENS.alice).put('/api/me/status', { status: 'not_ready', reason: 'Training' });
  await client(sb.url, TOKENS.bob).put('/api/me/status', { status: 'not_ready', reason: 'Training' });
});
afterAll(async () => {
  await outbound?.close();
  redis?.disconnect();
  await sb?.stop();
});

/** An email interaction held (accepted) by the trainee. */
async function heldByTrainee(subject: string): Promise<string> {
  const trainee = client(sb.url, TOKENS.trainee);
  const events = await openEventStream(`${sb.url}/api/me/events`, TOKENS.trainee);
  await trainee.put('/api/me/status', { status: 'available' });
  const { body } = await client(sb.url, TOKENS.admin).post<{ id: string }>('/api/interactions', {
    channel: 'email',
    from: 'customer@example.com',
    to: 'support@example.com',
    subject,
    body: 'Hello, a question.',
  });
  await events.next('offer', (e) => e.data.interactionId === body.id);
  await events.close();
  expect((await trainee.post(`/api/interactions/${body.id}/accept`)).body).toMatchObject({ state: 'active' });
  return body.id;
}

type Review = { id: string; interactionId: string; messageId: string; status: string; body: string; editedBody: string | null; agentId: string };

describe('review before send', () => {
  it('holds a flagged agent\'s reply until approved, then sends it as edited', async () => {
    const supervisor = client(sb.url, TOKENS.supervisor);
    const trainee = client(sb.url, TOKENS.trainee);
    const supervisorEvents = await openEventStream(`${sb.url}/api/supervisor/events`, TOKENS.supervisor);
    const traineeEvents = await openEventStream(`${sb.url}/api/me/events`, TOKENS.trainee);
    const id = await heldByTrainee('Question one');

    const replied = await trainee.post<{ messageId: string; status: string; reviewId: string; state: string }>(`/api/interactions/${id}/reply`, {
      body: 'ok its done',
    });
    expect(replied.status).toBe(201);
    expect(replied.body).toMatchObject({ status: 'pending_review', state: 'active' });
    const { messageId, reviewId } = replied.body;

    const requested = await supervisorEvents.next('review_requested', (e) => e.data.reviewId === reviewId);
    expect(requested.data).toMatchObject({ interactionId: id, messageId, workgroup: 'support', agentId: 'trainee', body: 'ok its done' });
    const queue = await supervisor.get<{ reviews: Review[] }>('/api/supervisor/reviews');
    expect(queue.body.reviews.map((r) => r.id)).toContain(reviewId);
    // Billing's supervisor does not see support's reviews, and cannot decide them.
    const billing = client(sb.url, TOKENS.billingSupervisor);
    expect((await billing.get<{ reviews: Review[] }>('/api/supervisor/reviews')).body.reviews).toEqual([]);
    const foreign = await billing.post(`/api/supervisor/reviews/${reviewId}/approve`);
    expect(foreign.status).toBe(403);
    expect(foreign.body).toMatchObject({ error: { code: 'NOT_SUPERVISED' } });

    // Waiting: not sent, not handed to the channel, and the interaction cannot be done.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const [waiting] = await sb.database.sql<{ status: string }[]>`select status from messages where id = ${messageId}`;
    expect(waiting?.status).toBe('pending_review');
    expect(await outbound.getJob(sendJobId(messageId))).toBeUndefined();
    expect(sender.sent.filter((m) => m.id === messageId)).toEqual([]);
    const done = await trainee.post(`/api/interactions/${id}/done`);
    expect(done.status).toBe(409);
    expect(done.body).toMatchObject({ error: { code: 'REVIEW_PENDING' } });

    const approvedAt = Date.now();
    const approved = await supervisor.post<Review>(`/api/supervisor/reviews/${reviewId}/approve`, {
      body: 'Dear customer,\n\nthis is now done.\n\nKind regards',
    });
    expect(approved.status).toBe(200);
    expect(approved.body).toMatchObject({ status: 'approved', body: 'ok its done', editedBody: 'Dear customer,\n\nthis is now done.\n\nKind regards' });
    const notice = await traineeEvents.next('review_approved', (e) => e.data.messageId === messageId);
    expect(notice.data).toMatchObject({ interactionId: id, edited: true });
    await supervisorEvents.next('review_decided', (e) => e.data.reviewId === reviewId && e.data.decision === 'approved');

    // It goes out once, edited, after the approval.
    await expect.poll(() => sender.sent.filter((m) => m.id === messageId).length, { timeout: 10_000 }).toBe(1);
    const sent = sender.sent.find((m) => m.id === messageId);
    expect(sent?.body).toBe('Dear customer,\n\nthis is now done.\n\nKind regards');
    expect(sent?.at).toBeGreaterThanOrEqual(approvedAt);
    // The channel's send job exists now (it would have been there, kept after completion, had the reply gone out before).
    expect(await outbound.getJob(sendJobId(messageId))).toBeDefined();
    await expect.poll(async () => (await sb.database.sql<{ status: string }[]>`select status from messages where id = ${messageId}`)[0]?.status).toBe('sent');
    const [row] = await sb.database.sql<{ body: string; metadata: { review: Record<string, unknown> } }[]>`select body, metadata from messages where id = ${messageId}`;
    expect(row?.body).toBe('Dear customer,\n\nthis is now done.\n\nKind regards');
    expect(row?.metadata.review).toMatchObject({ reviewId, decision: 'approved', by: 'sup', edited: true, originalBody: 'ok its done' });

    const again = await supervisor.post(`/api/supervisor/reviews/${reviewId}/approve`);
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ error: { code: 'REVIEW_DECIDED' } });

    const history = await supervisor.get<{ events: { type: string; state: string; actor: string; event: Record<string, unknown> }[] }>(`/api/interactions/${id}/history`);
    const decisions = history.body.events.filter((e) => e.type.startsWith('REVIEW_'));
    expect(decisions.map((e) => `${e.type}>${e.state}`)).toEqual(['REVIEW_REQUESTED>active', 'REVIEW_APPROVED>active']);
    expect(decisions[1]).toMatchObject({ actor: 'user:sup', event: { supervisorId: 'sup', messageId, authorId: 'trainee', edited: true } });
    const replay = await supervisor.get<{ consistent: boolean }>(`/api/interactions/${id}/replay`);
    expect(replay.body.consistent).toBe(true);

    expect((await trainee.post(`/api/interactions/${id}/done`)).body).toMatchObject({ state: 'wrapUp' });
    await supervisorEvents.close();
    await traineeEvents.close();
  });

  it('returns a rejected reply to its author with the comment, and sends nothing', async () => {
    const supervisor = client(sb.url, TOKENS.supervisor);
    const trainee = client(sb.url, TOKENS.trainee);
    const traineeEvents = await openEventStream(`${sb.url}/api/me/events`, TOKENS.trainee);
    const id = await heldByTrainee('Question two');
    const replied = await trainee.post<{ messageId: string; reviewId: string }>(`/api/interactions/${id}/reply`, { responseId: 'refund' });
    const { messageId, reviewId } = replied.body;

    expect((await supervisor.post(`/api/supervisor/reviews/${reviewId}/reject`, { comment: '' })).status).toBe(400);
    const rejected = await supervisor.post<Review>(`/api/supervisor/reviews/${reviewId}/reject`, { comment: 'This customer asked about an order, not a refund.' });
    expect(rejected.status).toBe(200);
    expect(rejected.body).toMatchObject({ status: 'rejected' });
    const notice = await traineeEvents.next('review_rejected', (e) => e.data.messageId === messageId);
    expect(notice.data).toMatchObject({ interactionId: id, comment: 'This customer asked about an order, not a refund.' });

    const [row] = await sb.database.sql<{ status: string; metadata: Record<string, unknown> }[]>`select status, metadata from messages where id = ${messageId}`;
    expect(row).toMatchObject({ status: 'rejected', metadata: { responseId: 'refund', review: { decision: 'rejected', by: 'sup' } } });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await outbound.getJob(sendJobId(messageId))).toBeUndefined();
    expect(sender.sent.filter((m) => m.id === messageId)).toEqual([]);

    // Back with the agent: still active, free to write again or finish.
    const view = await trainee.get<{ state: string; messages: { id: string; status: string }[] }>(`/api/interactions/${id}`);
    expect(view.body.state).toBe('active');
    expect(view.body.messages.find((m) => m.id === messageId)?.status).toBe('rejected');
    const history = await trainee.get<{ events: { type: string; event: Record<string, unknown> }[] }>(`/api/interactions/${id}/history`);
    expect(history.body.events.find((e) => e.type === 'REVIEW_REJECTED')?.event).toMatchObject({ comment: 'This customer asked about an order, not a refund.' });
    expect((await trainee.post(`/api/interactions/${id}/done`)).body).toMatchObject({ state: 'wrapUp' });
    const all = await supervisor.get<{ reviews: Review[] }>('/api/supervisor/reviews?status=all');
    expect(all.body.reviews.map((r) => r.status).sort()).toEqual(['approved', 'rejected']);
    expect((await supervisor.get<{ reviews: Review[] }>('/api/supervisor/reviews')).body.reviews).toEqual([]);
    await traineeEvents.close();
  });

  it('does not hold the replies of agents who are not flagged', async () => {
    const alice = client(sb.url, TOKENS.alice);
    await client(sb.url, TOKENS.trainee).put('/api/me/status', { status: 'not_ready', reason: 'Lunch' });
    const events = await openEventStream(`${sb.url}/api/me/events`, TOKENS.alice);
    await alice.put('/api/me/status', { status: 'available' });
    const { body } = await client(sb.url, TOKENS.admin).post<{ id: string }>('/api/interactions', { channel: 'email', from: 'c@example.com', to: 's@example.com', subject: 'x', body: 'y' });
    await events.next('offer', (e) => e.data.interactionId === body.id);
    await alice.post(`/api/interactions/${body.id}/accept`);
    const replied = await alice.post<{ messageId: string; status: string; reviewId: string | null }>(`/api/interactions/${body.id}/reply`, { body: 'Sure.' });
    expect(replied.body).toMatchObject({ status: 'pending', reviewId: null });
    await expect.poll(() => sender.sent.some((m) => m.id === replied.body.messageId), { timeout: 10_000 }).toBe(true);
    await events.close();
  });
});
