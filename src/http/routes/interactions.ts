/** Intake, reading an interaction and its history, and replaying it. */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { SwitchboardError } from '../../errors.ts';
import { findInteraction, listMessages, readHistory, type InteractionView } from '../../engine/interaction-queries.ts';
import { replayInteraction } from '../../replay/replay.ts';
import type { HttpContext } from '../context.ts';
import type { Caller } from '../auth.ts';
import { schemaOf } from '../validation.ts';

export const MAX_BODY_CHARACTERS = 100_000;

const intakeBody = z
  .object({
    channel: z.enum(['email', 'sms']),
    from: z.string().trim().min(1).max(320),
    to: z.string().trim().min(1).max(320),
    subject: z.string().max(998).optional(),
    body: z.string().max(MAX_BODY_CHARACTERS),
  })
  .strict();

const idParams = z.object({ id: z.string() });

/** Agents see the interactions they hold, held, or are targeted by; supervisors and admins see all. */
export function assertMayRead(caller: Caller, interaction: InteractionView): void {
  if (caller.role !== 'agent') return;
  const related = [interaction.agentId, interaction.lastAgentId, interaction.targetAgentId];
  if (!related.includes(caller.id)) throw new SwitchboardError('NOT_YOUR_INTERACTION', 'This interaction is not yours');
}

export function interactionRoutes(app: FastifyInstance, context: HttpContext): void {
  const { engine, database } = context;

  app.post<{ Body: z.infer<typeof intakeBody> }>(
    '/api/interactions',
    { config: { roles: ['admin'] }, schema: { tags: ['interactions'], body: schemaOf(intakeBody) } },
    async (request, reply) => {
      const result = await engine.intake(request.body, `user:${request.caller.id}`);
      return reply.status(201).send({ id: result.id, reference: result.reference, state: result.state, category: result.category });
    },
  );

  app.get<{ Params: { id: string } }>(
    '/api/interactions/:id',
    { config: { roles: ['agent', 'supervisor', 'admin'] }, schema: { tags: ['interactions'], params: schemaOf(idParams) } },
    async (request) => {
      const interaction = await findInteraction(database.sql, request.params.id);
      assertMayRead(request.caller, interaction);
      return { ...interaction, messages: await listMessages(database.sql, interaction.id) };
    },
  );

  app.get<{ Params: { id: string } }>(
    '/api/interactions/:id/history',
    { config: { roles: ['agent', 'supervisor', 'admin'] }, schema: { tags: ['interactions'], params: schemaOf(idParams) } },
    async (request) => {
      const interaction = await findInteraction(database.sql, request.params.id);
      assertMayRead(request.caller, interaction);
      return { events: await readHistory(database.sql, interaction.id) };
    },
  );

  app.get<{ Params: { id: string } }>(
    '/api/interactions/:id/replay',
    { config: { roles: ['supervisor', 'admin'] }, schema: { tags: ['interactions'], params: schemaOf(idParams) } },
    async (request) => {
      const interaction = await findInteraction(database.sql, request.params.id);
      return replayInteraction(database.sql, interaction.id);
    },
  );
}
