/**
 * The HTTP application (Fastify), separate from server start-up so tests can listen on any port.
 * Every route declares its roles; errors share one shape; the OpenAPI document is at /docs.
 */
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { registerAuth } from './auth.ts';
import type { HttpContext } from './context.ts';
import { errorHandler, notFoundHandler } from './error-handler.ts';
import { deskRoutes } from './routes/desk-routes.ts';
import { healthRoutes } from './routes/health.ts';
import { interactionActionRoutes } from './routes/interaction-actions.ts';
import { interactionRoutes } from './routes/interactions.ts';
import { meRoutes } from './routes/me.ts';
import { zodValidatorCompiler } from './validation.ts';

export interface AppOptions {
  /** Requests per minute per caller (or per address when unauthenticated). */
  rateLimitPerMinute?: number;
  bodyLimitBytes?: number;
  /** More route modules (channels' webhooks, supervisor and admin APIs). */
  plugins?: ((app: FastifyInstance, context: HttpContext) => void | Promise<void>)[];
}

export async function buildApp(context: HttpContext, options: AppOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: context.logger as FastifyBaseLogger,
    bodyLimit: options.bodyLimitBytes ?? 1024 * 1024,
  });
  app.setValidatorCompiler(zodValidatorCompiler);
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler(notFoundHandler);

  await app.register(swagger, {
    openapi: {
      info: { title: 'Switchboard', version: '0.1.0', description: 'Contact-center routing: interactions, agents, supervisors.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  await app.register(rateLimit, {
    max: options.rateLimitPerMinute ?? 6_000,
    timeWindow: '1 minute',
    keyGenerator: (request) => request.headers.authorization ?? request.ip,
    allowList: (request) => request.url === '/healthz',
  });

  registerAuth(app, context.database.sql, context.engine.config);
  healthRoutes(app, context);
  interactionRoutes(app, context);
  interactionActionRoutes(app, context);
  meRoutes(app, context);
  deskRoutes(app, context);
  for (const plugin of options.plugins ?? []) await plugin(app, context);

  // End event streams first, or close would wait for them forever.
  app.addHook('preClose', async () => {
    for (const close of [...context.openStreams]) close();
  });
  return app;
}
