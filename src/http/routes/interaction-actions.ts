/** An agent's actions on the offer or interaction it holds. */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { findInteraction } from '../../engine/interaction-queries.ts';
import type { TransitionResult } from '../../engine/interaction-runtime.ts';
import type { HttpContext } from '../context.ts';
import { schemaOf } from '../validation.ts';
import { MAX_BODY_CHARACTERS } from './interactions.ts';

const idParams = z.object({ id: z.string() });
/** The agent's text, or a standard response (its placeholders filled), or a response the agent edited (both). */
const replyBody = z
  .object({ body: z.string().min(1).max(MAX_BODY_CHARACTERS).optional(), responseId: z.string().min(1).max(64).optional() })
  .strict()
  .refine((reply) => reply.body !== undefined || reply.responseId !== undefined, { message: 'body or responseId is required', path: ['body'] });
const transferBody = z.union([
  z.object({ agentId: z.string().min(1) }).strict(),
  z.object({ workgroupId: z.string().min(1) }).strict(),
]);
const wrapUpBody = z.object({ disposition: z.string().min(1) }).strict();
const empty = z.object({}).strict().optional();

const outcome = (result: TransitionResult) => ({
  id: result.after.id,
  state: result.after.state,
  priority: result.after.context.priority,
  agentId: result.after.context.agentId,
});

export function interactionActionRoutes(app: FastifyInstance, context: HttpContext): void {
  const { actions } = context;
  const agentOnly = { roles: ['agent'] as const };
  const guard = async (id: string) => {
    await findInteraction(context.database.sql, id); // 404 before 403 for unknown ids
  };

  app.post<{ Params: { id: string } }>(
    '/api/interactions/:id/accept',
    { config: agentOnly, schema: { tags: ['agent'], params: schemaOf(idParams), body: schemaOf(empty) } },
    async (request) => {
      await guard(request.params.id);
      return outcome(await actions.accept(request.params.id, request.caller.id));
    },
  );

  app.post<{ Params: { id: string } }>(
    '/api/interactions/:id/decline',
    { config: agentOnly, schema: { tags: ['agent'], params: schemaOf(idParams), body: schemaOf(empty) } },
    async (request) => {
      await guard(request.params.id);
      return outcome(await actions.decline(request.params.id, request.caller.id));
    },
  );

  app.post<{ Params: { id: string }; Body: z.infer<typeof replyBody> }>(
    '/api/interactions/:id/reply',
    { config: agentOnly, schema: { tags: ['agent'], params: schemaOf(idParams), body: schemaOf(replyBody) } },
    async (request, reply) => {
      await guard(request.params.id);
      const { body, responseId } = request.body;
      const sent = await actions.reply(request.params.id, request.caller.id, body ?? null, { responseId: responseId ?? null });
      return reply.status(201).send({ ...outcome(sent.result), messageId: sent.messageId, status: sent.status, reviewId: sent.reviewId });
    },
  );

  app.post<{ Params: { id: string }; Body: z.infer<typeof transferBody> }>(
    '/api/interactions/:id/transfer',
    { config: agentOnly, schema: { tags: ['agent'], params: schemaOf(idParams), body: schemaOf(transferBody) } },
    async (request) => {
      await guard(request.params.id);
      return outcome(await actions.transfer(request.params.id, request.caller.id, request.body));
    },
  );

  app.post<{ Params: { id: string } }>(
    '/api/interactions/:id/done',
    { config: agentOnly, schema: { tags: ['agent'], params: schemaOf(idParams), body: schemaOf(empty) } },
    async (request) => {
      await guard(request.params.id);
      return outcome(await actions.done(request.params.id, request.caller.id));
    },
  );

  app.post<{ Params: { id: string }; Body: z.infer<typeof wrapUpBody> }>(
    '/api/interactions/:id/wrap-up',
    { config: agentOnly, schema: { tags: ['agent'], params: schemaOf(idParams), body: schemaOf(wrapUpBody) } },
    async (request) => {
      await guard(request.params.id);
      return outcome(await actions.wrapUp(request.params.id, request.caller.id, request.body.disposition));
    },
  );
}
