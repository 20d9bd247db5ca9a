/** What route modules need; built once per process. */
import type { Logger } from 'pino';
import type { Database } from '../db/client.ts';
import type { ReviewActions } from '../desk/reviews.ts';
import type { SupervisorActions } from '../desk/supervisor-actions.ts';
import type { AgentActions } from '../engine/agent-actions.ts';
import type { Engine } from '../engine/engine.ts';
import type { StreamHub } from './stream-hub.ts';

export interface HttpContext {
  engine: Engine;
  actions: AgentActions;
  /** Supervisors' actions: reviews of replies, queue management. */
  desk: { reviews: ReviewActions; supervisor: SupervisorActions };
  database: Database;
  hub: StreamHub;
  logger: Logger;
  /** Closers of open event streams; ended before the server closes. */
  openStreams: Set<() => void>;
  /** Extra detail for /healthz (channels report their mailboxes and providers here). */
  health: Map<string, () => Record<string, unknown>>;
}
