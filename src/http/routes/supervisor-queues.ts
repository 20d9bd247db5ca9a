/** Queue management for supervisors: queues and agents at a glance; priority, reassignment, pulling back. */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { listAgents, queueView } from '../../desk/queue-views.ts';
import { assertSupervises, supervisedWorkgroups, workgroupsInScope } from '../../desk/supervisor-scope.ts';
import { findInteraction } from '../../engine/interaction-queries.ts';
import type { TransitionResult } from '../../engine/interaction-runtime.ts';
import { SwitchboardError } from '../../errors.ts';
import type { HttpContext } from '../context.ts';
import { schemaOf } from '../validation.ts';

const supervisors = { roles: ['supervisor', 'admin'] as const };
const idParams = z.object({ id: z.string() });
const workgroupParams = z.object({ workgroup: z.string() });
const listQuery = z.object({ limit: z.coerce.number().int().min(1).max(1_000).default(100) }).strict();
const priorityBody = z.object({ priority: z.number().int().min(0).max(1_000_000) }).strict();
const reassignBody = z.union([z.object({ agentId: z.string().min(1) }).strict(), z.object({ workgroupId: z.string().min(1) }).strict()]);
const revokeBody = z.object({ reason: z.string().min(1).max(200).optional() }).strict().optional();

const outcome = (result: TransitionResult) => ({
  id: result.after.id,
  state: result.after.state,
  workgroup: result.after.context.workgroup,
  priority: result.after.context.priority,
  agentId: result.after.context.agentId,
  targetAgentId: result.after.context.targetAgentId,
});

export function supervisorQueueRoutes(app: FastifyInstance, context: HttpContext): void {
  const { engine, database, desk } = context;
  const scopeOf = (request: { caller: Parameters<typeof supervisedWorkgroups>[1] }) => supervisedWorkgroups(engine.config.current(), request.caller);

  app.get<{ Querystring: z.infer<typeof listQuery> }>(
    '/api/supervisor/queues',
    { config: supervisors, schema: { tags: ['supervisor'], querystring: schemaOf(listQuery) } },
    async (request) => {
      const config = engine.config.current();
      const now = engine.now();
      const queues = [];
      for (const workgroup of workgroupsInScope(config, scopeOf(request))) {
        queues.push(await queueView(database.sql, config, workgroup.id, now, request.query.limit));
      }
      return { queues };
    },
  );

  app.get<{ Params: { workgroup: string }; Querystring: z.infer<typeof listQuery> }>(
    '/api/supervisor/queues/:workgroup',
    { config: supervisors, schema: { tags: ['supervisor'], params: schemaOf(workgroupParams), querystring: schemaOf(listQuery) } },
    async (request) => {
      const config = engine.config.current();
      const { workgroup } = request.params;
      if (!config.workgroups.some((w) => w.id === workgroup)) throw new SwitchboardError('NOT_FOUND', `no workgroup ${workgroup}`);
      assertSupervises(scopeOf(request), workgroup);
      return queueView(database.sql, config, workgroup, engine.now(), request.query.limit);
    },
  );

  app.get('/api/supervisor/agents', { config: supervisors, schema: { tags: ['supervisor'] } }, async (request) => ({
    agents: await listAgents(database.sql, scopeOf(request), engine.now()),
  }));

  app.post<{ Params: { id: string }; Body: z.infer<typeof priorityBody> }>(
    '/api/supervisor/interactions/:id/priority',
    { config: supervisors, schema: { tags: ['supervisor'], params: schemaOf(idParams), body: schemaOf(priorityBody) } },
    async (request) => {
      await findInteraction(database.sql, request.params.id);
      return outcome(await desk.supervisor.setPriority(request.params.id, request.caller, request.body.priority));
    },
  );

  app.post<{ Params: { id: string }; Body: z.infer<typeof reassignBody> }>(
    '/api/supervisor/interactions/:id/reassign',
    { config: supervisors, schema: { tags: ['supervisor'], params: schemaOf(idParams), body: schemaOf(reassignBody) } },
    async (request) => {
      await findInteraction(database.sql, request.params.id);
      return outcome(await desk.supervisor.reassign(request.params.id, request.caller, request.body));
    },
  );

  app.post<{ Params: { id: string }; Body: z.infer<typeof revokeBody> }>(
    '/api/supervisor/interactions/:id/revoke',
    { config: supervisors, schema: { tags: ['supervisor'], params: schemaOf(idParams), body: schemaOf(revokeBody) } },
    async (request) => {
      await findInteraction(database.sql, request.params.id);
      return outcome(await desk.supervisor.revoke(request.params.id, request.caller, request.body?.reason ?? 'supervisor'));
    },
  );
}
