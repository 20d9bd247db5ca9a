/** The caller's own presence and event stream. */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { NO_ANSWER_REASON } from '../../config/schema.ts';
import { SwitchboardError } from '../../errors.ts';
import type { HttpContext } from '../context.ts';
import { serveEventStream } from '../sse.ts';
import { schemaOf } from '../validation.ts';

const statusBody = z
  .object({ status: z.enum(['available', 'not_ready', 'logged_out']), reason: z.string().min(1).max(64).optional() })
  .strict();

interface AgentPresenceRow {
  status: string;
  reason: string | null;
  status_since: Date;
  load_email: number;
  load_sms: number;
  cap_email: number;
  cap_sms: number;
}

export function meRoutes(app: FastifyInstance, context: HttpContext): void {
  const { engine, database, hub } = context;
  const presence = async (agentId: string) => {
    const [row] = await database.sql<AgentPresenceRow[]>`
      select status, reason, status_since, load_email, load_sms, cap_email, cap_sms from agents where id = ${agentId}`;
    return row
      ? {
          status: row.status,
          reason: row.reason,
          since: row.status_since.toISOString(),
          load: { email: row.load_email, sms: row.load_sms },
          capacity: { email: row.cap_email, sms: row.cap_sms },
        }
      : null;
  };

  app.get('/api/me', { config: { roles: ['agent', 'supervisor', 'admin'] }, schema: { tags: ['me'] } }, async (request) => ({
    id: request.caller.id,
    name: request.caller.name,
    role: request.caller.role,
    presence: await presence(request.caller.id),
  }));

  app.put<{ Body: z.infer<typeof statusBody> }>(
    '/api/me/status',
    { config: { roles: ['agent'] }, schema: { tags: ['me'], body: schemaOf(statusBody) } },
    async (request) => {
      const { status, reason } = request.body;
      const at = engine.now().toISOString();
      const agentId = request.caller.id;
      if (status === 'not_ready') {
        const reasons = engine.config.current().notReadyReasons;
        if (!reason || !reasons.includes(reason) || reason === NO_ANSWER_REASON) {
          throw new SwitchboardError('UNKNOWN_REASON', `a not-ready reason is required, one of: ${reasons.join(', ')}`, {
            allowed: reasons,
          });
        }
        await engine.setPresence(agentId, { type: 'GO_NOT_READY', reason, at }, `user:${agentId}`);
      } else if (reason !== undefined) {
        throw new SwitchboardError('VALIDATION_FAILED', 'reason applies only to not_ready');
      } else if (status === 'available') {
        await engine.setPresence(agentId, { type: 'GO_AVAILABLE', at }, `user:${agentId}`);
      } else {
        await engine.setPresence(agentId, { type: 'LOG_OUT', at }, `user:${agentId}`);
      }
      return presence(agentId);
    },
  );

  app.get(
    '/api/me/events',
    { config: { roles: ['agent', 'supervisor', 'admin'], queryToken: true }, schema: { tags: ['me'] } },
    async (request, reply) => {
      const userId = request.caller.id;
      await serveEventStream(request, reply, {
        hub,
        userId,
        open: context.openStreams,
        initial: async () => {
          const now = await presence(userId);
          const events: { type: string; data: Record<string, unknown> }[] = [];
          if (now) events.push({ type: 'status', data: { status: now.status, reason: now.reason, since: now.since } });
          const offers = await database.sql<{ id: string; snapshot: { context: { offerId: string; offerTimeoutMs: number } }; updated_at: Date }[]>`
            select id, snapshot, updated_at from interactions where agent_id = ${userId} and state = 'offered'`;
          for (const offer of offers) {
            events.push({
              type: 'offer',
              data: {
                interactionId: offer.id,
                offerId: offer.snapshot.context.offerId,
                expiresAt: new Date(offer.updated_at.getTime() + offer.snapshot.context.offerTimeoutMs).toISOString(),
              },
            });
          }
          return events;
        },
      });
    },
  );
}
