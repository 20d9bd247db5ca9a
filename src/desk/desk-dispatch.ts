/** Dispatches the desk's outbox entries once their transaction has committed. Every branch is idempotent. */
import type { Sql } from 'postgres';
import type { ConfigStore } from '../config/config-store.ts';
import { recordAlertTimers } from './alert-timers.ts';
import { matchingRules } from './alert-watches.ts';
import type { DeskOutboxEntry } from './desk-outbox.ts';
import { alertTimer, type DeskQueue } from './desk-queue.ts';

export interface DeskDispatchDeps {
  sql: Sql;
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
        // Alert timers are recorded in Postgres before their jobs are queued, so that a job Redis loses is armed again.
        const timers = (entry.payload.watches ?? []).flatMap((watch) => matchingRules(config.alerts, watch).map((rule) => alertTimer(watch, rule)));
        await recordAlertTimers(deps.sql, timers);
        for (const timer of timers) await deps.deskQueue.armAlert(timer);
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
