import type { FastifyInstance } from 'fastify';
import type { HttpContext } from '../context.ts';

export function healthRoutes(app: FastifyInstance, context: HttpContext): void {
  app.get('/healthz', { schema: { hide: true } }, async (_request, reply) => {
    const detail: Record<string, unknown> = {};
    let ok = true;
    try {
      await context.database.sql`select 1`;
      detail.postgres = 'ok';
    } catch (error) {
      ok = false;
      detail.postgres = (error as Error).message;
    }
    for (const [name, report] of context.health) detail[name] = report();
    return reply.status(ok ? 200 : 503).send({ status: ok ? 'ok' : 'unavailable', ...detail });
  });
}
