/**
 * The supervisors' event stream: queue snapshots (at most one per workgroup and second), reviews and
 * alerts of the workgroups the caller supervises, resumable with Last-Event-ID. A new connection
 * starts with the current snapshot of each of its queues.
 */
import type { FastifyInstance } from 'fastify';
import { queueView } from '../../desk/queue-views.ts';
import { supervisedWorkgroups, supervises, workgroupsInScope } from '../../desk/supervisor-scope.ts';
import { SUPERVISOR_TOPIC } from '../../desk/supervisor-stream.ts';
import type { HttpContext } from '../context.ts';
import { serveEventStream } from '../sse.ts';

export function supervisorEventRoutes(app: FastifyInstance, context: HttpContext): void {
  const { engine, database, hub } = context;
  app.get(
    '/api/supervisor/events',
    { config: { roles: ['supervisor', 'admin'], queryToken: true }, schema: { tags: ['supervisor'] } },
    async (request, reply) => {
      const caller = request.caller;
      // The scope is read on every event, so a changed configuration applies to open streams too.
      const scope = () => supervisedWorkgroups(engine.config.current(), caller);
      await serveEventStream(request, reply, {
        hub,
        userId: SUPERVISOR_TOPIC,
        open: context.openStreams,
        filter: (event) => supervises(scope(), (event.data.workgroup as string | null | undefined) ?? null),
        initial: async () => {
          const config = engine.config.current();
          const now = engine.now();
          const events = [];
          for (const workgroup of workgroupsInScope(config, scope())) {
            events.push({ type: 'queue', data: { ...(await queueView(database.sql, config, workgroup.id, now)) } });
          }
          return events;
        },
      });
    },
  );
}
