/** Review before send, for supervisors: the reviews of their workgroups, approve (as written or edited) or reject. */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { listReviews } from '../../desk/reviews.ts';
import { supervisedWorkgroups } from '../../desk/supervisor-scope.ts';
import type { HttpContext } from '../context.ts';
import { schemaOf } from '../validation.ts';
import { MAX_BODY_CHARACTERS } from './interactions.ts';

const supervisors = { roles: ['supervisor', 'admin'] as const };
const idParams = z.object({ id: z.string() });
const listQuery = z
  .object({ status: z.enum(['pending', 'approved', 'rejected', 'all']).default('pending'), limit: z.coerce.number().int().min(1).max(500).default(100) })
  .strict();
const approveBody = z.object({ body: z.string().min(1).max(MAX_BODY_CHARACTERS).optional() }).strict().optional();
const rejectBody = z.object({ comment: z.string().trim().min(1).max(2_000) }).strict();

export function supervisorReviewRoutes(app: FastifyInstance, context: HttpContext): void {
  const { engine, database, desk } = context;

  app.get<{ Querystring: z.infer<typeof listQuery> }>(
    '/api/supervisor/reviews',
    { config: supervisors, schema: { tags: ['supervisor'], querystring: schemaOf(listQuery) } },
    async (request) => ({
      reviews: await listReviews(database.sql, supervisedWorkgroups(engine.config.current(), request.caller), request.query.status, request.query.limit),
    }),
  );

  app.post<{ Params: { id: string }; Body: z.infer<typeof approveBody> }>(
    '/api/supervisor/reviews/:id/approve',
    { config: supervisors, schema: { tags: ['supervisor'], params: schemaOf(idParams), body: schemaOf(approveBody) } },
    async (request) => desk.reviews.approve(request.params.id, request.caller, request.body?.body),
  );

  app.post<{ Params: { id: string }; Body: z.infer<typeof rejectBody> }>(
    '/api/supervisor/reviews/:id/reject',
    { config: supervisors, schema: { tags: ['supervisor'], params: schemaOf(idParams), body: schemaOf(rejectBody) } },
    async (request) => desk.reviews.reject(request.params.id, request.caller, request.body.comment),
  );
}
