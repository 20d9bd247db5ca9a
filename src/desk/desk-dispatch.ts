/** Dispatches the desk's outbox entries once their transaction has committed. Every branch is idempotent. */
import type { ConfigStore } from '../config/config-store.ts';
import { matchingRules } from './alert-watches.ts';
import type { DeskOutboxEntry } from './desk-outbox.ts';
import type { DeskQueue } from './desk-queue.ts';

export interface DeskDispatchDeps {
  config: ConfigStore;
  deskQueue: DeskQueue;
  /** Tells every process that a configuration version is in force. */
  publishConfig: (version: number) => Promise<void>;
}

export function createDeskDispatcher(deps: DeskDispatchDeps): (entry: DeskOutboxEntry) => Promise<void> {
  return async (entry) => {
    const config = deps.config.current();
    switch (entry.kind) {
      case 'desk.changed': {
        const workgroups = new Set(entry.payload.workgroups);
        for (const agentId of entry.payload.agents) {
          for (const workgroup of config.users.find((u) => u.id === agentId)?.workgroups ?? []) workgroups.add(workgroup);
        }
        for (const workgroup of workgroups) {
          if (config.workgroups.some((w) => w.id === workgroup)) await deps.deskQueue.scheduleSnapshot(workgroup);
        }
        for (const watch of entry.payload.watches ?? []) {
          for (const rule of matchingRules(config.alerts, watch)) await deps.deskQueue.armAlert(watch, rule);
        }
        return;
      }
      case 'config.changed':
        await deps.publishConfig(entry.payload.version);
        return;
      default: {
        const unknown: never = entry;
        throw new Error(`unknown desk outbox kind ${JSON.stringify(unknown)}`);
      }
    }
  };
}
