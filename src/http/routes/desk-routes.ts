/** The desk's routes: responses, codes, supervisors' queues, reviews, alerts and stream, and administration. */
import type { FastifyInstance } from 'fastify';
import type { HttpContext } from '../context.ts';
import { adminAuditRoutes } from './admin-audit.ts';
import { adminConfigRoutes } from './admin-config.ts';
import { codeRoutes } from './codes.ts';
import { responseRoutes } from './responses.ts';
import { supervisorAlertRoutes } from './supervisor-alerts.ts';
import { supervisorEventRoutes } from './supervisor-events.ts';
import { supervisorQueueRoutes } from './supervisor-queues.ts';
import { supervisorReviewRoutes } from './supervisor-reviews.ts';

export function deskRoutes(app: FastifyInstance, context: HttpContext): void {
  responseRoutes(app, context);
  codeRoutes(app, context);
  supervisorQueueRoutes(app, context);
  supervisorReviewRoutes(app, context);
  supervisorAlertRoutes(app, context);
  supervisorEventRoutes(app, context);
  adminConfigRoutes(app, context);
  adminAuditRoutes(app, context);
}
