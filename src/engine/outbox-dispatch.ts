/** What each kind of outbox row does once its transaction has committed. Every branch is idempotent. */
import type { Queue } from 'bullmq';
import type { DeskOutboxEntry } from '../desk/desk-outbox.ts';
import type { OutboundJobData } from '../queues/names.ts';
import { enqueueSend } from '../queues/outbound-queue.ts';
import type { TimerQueue } from '../queues/timer-queue.ts';
import type { Engine } from './engine.ts';
import type { OutboxEntry } from './outbox.ts';

export interface DispatchDeps {
  engine: Engine;
  timers: TimerQueue;
  outbound: Queue<OutboundJobData>;
  notifyStream: (userId: string) => Promise<void>;
  /** Supervisor snapshots, alert timers and configuration changes. */
  desk: (entry: DeskOutboxEntry) => Promise<void>;
}

export function createDispatcher(deps: DispatchDeps): (entry: OutboxEntry) => Promise<void> {
  return async (entry) => {
    switch (entry.kind) {
      case 'timer.arm':
        await deps.timers.arm(entry.payload.jobId, {
          target: entry.payload.target,
          event: entry.payload.event,
          fireAt: entry.payload.fireAt,
        });
        return;
      case 'timer.cancel':
        await deps.timers.cancel(entry.payload.jobId);
        return;
      case 'route.interaction':
        await deps.engine.routeInteraction(entry.payload.interactionId);
        return;
      case 'route.agent':
        await deps.engine.routeAgent(entry.payload.agentId);
        return;
      case 'stream.notify':
        await deps.notifyStream(entry.payload.userId);
        return;
      case 'message.send':
        await enqueueSend(deps.outbound, entry.payload);
        return;
      case 'desk.changed':
      case 'config.changed':
        await deps.desk(entry);
        return;
      default: {
        const unknown: never = entry;
        throw new Error(`unknown outbox kind ${JSON.stringify(unknown)}`);
      }
    }
  };
}
