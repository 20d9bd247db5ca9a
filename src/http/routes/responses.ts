/** The standard response library for agents: search by keyword, and suggestions for an interaction. */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { searchResponses, suggestResponses } from '../../desk/responses.ts';
import { findInteraction } from '../../engine/interaction-queries.ts';
import type { HttpContext } from '../context.ts';
import { schemaOf } from '../validation.ts';
import { assertMayRead } from './interactions.ts';

const searchQuery = z
  .object({
    q: z.string().max(500).optional(),
    channel: z.enum(['email', 'sms']).optional(),
    limit: z.coerce.number().int().min(1).max(100).default(20),
  })
  .strict();
const idParams = z.object({ id: z.string() });
const suggestionsQuery = z.object({ limit: z.coerce.number().int().min(1).max(20).default(5) }).strict();

export function responseRoutes(app: FastifyInstance, context: HttpContext): void {
  const { database, engine } = context;
  const everyone = { roles: ['agent', 'supervisor', 'admin'] as const };

  app.get<{ Querystring: z.infer<typeof searchQuery> }>(
    '/api/responses',
    { config: everyone, schema: { tags: ['responses'], querystring: schemaOf(searchQuery) } },
    async (request) => {
      const { q, channel, limit } = request.query;
      // Agents see the responses of their workgroups (and those for every workgroup).
      const workgroups =
        request.caller.role === 'agent' ? (engine.config.current().users.find((u) => u.id === request.caller.id)?.workgroups ?? []) : null;
      return { responses: await searchResponses(database.sql, { query: q, channel, workgroups, limit }) };
    },
  );

  app.get<{ Params: { id: string }; Querystring: z.infer<typeof suggestionsQuery> }>(
    '/api/interactions/:id/suggestions',
    { config: everyone, schema: { tags: ['responses'], params: schemaOf(idParams), querystring: schemaOf(suggestionsQuery) } },
    async (request) => {
      const interaction = await findInteraction(database.sql, request.params.id);
      assertMayRead(request.caller, interaction);
      return { interactionId: interaction.id, suggestions: await suggestResponses(database.sql, interaction.id, request.query.limit) };
    },
  );
}
