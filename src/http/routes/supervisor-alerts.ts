/** Aged-item alerts of the caller's workgroups, newest first. */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { listAlerts } from '../../desk/alerts.ts';
import { supervisedWorkgroups } from '../../desk/supervisor-scope.ts';
import type { HttpContext } from '../context.ts';
import { schemaOf } from '../validation.ts';

const listQuery = z
  .object({ status: z.enum(['open', 'cleared', 'all']).default('all'), limit: z.coerce.number().int().min(1).max(1_000).default(100) })
  .strict();

export function supervisorAlertRoutes(app: FastifyInstance, context: HttpContext): void {
  app.get<{ Querystring: z.infer<typeof listQuery> }>(
    '/api/supervisor/alerts',
    { config: { roles: ['supervisor', 'admin'] }, schema: { tags: ['supervisor'], querystring: schemaOf(listQuery) } },
    async (request) => ({
      alerts: await listAlerts(
        context.database.sql,
        supervisedWorkgroups(context.engine.config.current(), request.caller),
        request.query.status,
        request.query.limit,
      ),
    }),
  );
}
