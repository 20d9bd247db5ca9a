/** The configuration audit log for admins, newest first (`before` pages back by entry id). */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { readAuditLog } from '../../admin/audit-log.ts';
import type { HttpContext } from '../context.ts';
import { schemaOf } from '../validation.ts';

const auditQuery = z
  .object({ limit: z.coerce.number().int().min(1).max(500).default(50), before: z.coerce.number().int().min(1).optional() })
  .strict();

export function adminAuditRoutes(app: FastifyInstance, context: HttpContext): void {
  app.get<{ Querystring: z.infer<typeof auditQuery> }>(
    '/api/admin/audit',
    { config: { roles: ['admin'] }, schema: { tags: ['admin'], querystring: schemaOf(auditQuery) } },
    async (request) => ({ entries: await readAuditLog(context.database.sql, request.query) }),
  );
}
