/** The codes that apply to the caller: status messages, not-ready reasons, disposition codes; and setting one's status message. */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { NO_ANSWER_REASON } from '../../config/schema.ts';
import { dispositionsFor } from '../../desk/dispositions.ts';
import { setStatusMessage, statusMessageOf } from '../../desk/status-messages.ts';
import { supervisedWorkgroups } from '../../desk/supervisor-scope.ts';
import type { HttpContext } from '../context.ts';
import { schemaOf } from '../validation.ts';

const statusMessageBody = z.object({ message: z.string().min(1).max(64).nullable() }).strict();

export function codeRoutes(app: FastifyInstance, context: HttpContext): void {
  const { engine, database } = context;

  app.get('/api/me/codes', { config: { roles: ['agent', 'supervisor', 'admin'] }, schema: { tags: ['me'] } }, async (request) => {
    const config = engine.config.current();
    const caller = request.caller;
    // Agents get the dispositions of their workgroups; supervisors of those they supervise.
    const mine =
      caller.role === 'agent' ? (config.users.find((u) => u.id === caller.id)?.workgroups ?? []) : (supervisedWorkgroups(config, caller) ?? config.workgroups.map((w) => w.id));
    return {
      statusMessages: config.statusMessages,
      statusMessage: await statusMessageOf(database.sql, caller.id),
      notReadyReasons: config.notReadyReasons.filter((reason) => reason !== NO_ANSWER_REASON),
      dispositions: config.dispositions,
      workgroupDispositions: Object.fromEntries(mine.map((workgroup) => [workgroup, dispositionsFor(config, workgroup)])),
    };
  });

  app.put<{ Body: z.infer<typeof statusMessageBody> }>(
    '/api/me/status-message',
    { config: { roles: ['agent', 'supervisor', 'admin'] }, schema: { tags: ['me'], body: schemaOf(statusMessageBody) } },
    async (request) => setStatusMessage(engine, request.caller.id, request.body.message),
  );
}
