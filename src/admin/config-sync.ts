/**
 * Keeps this process's configuration equal to the one in force: a change is announced on Redis
 * pub/sub (from the outbox, so at least once), and a slow poll of the version catches anything missed
 * while Redis was away. On news, the process reads the document, validates it and replaces its
 * ConfigStore; decisions read the store each time, so the next one follows the new configuration.
 */
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Sql } from 'postgres';
import type { ConfigStore } from '../config/config-store.ts';
import { validateDocument } from './config-document.ts';
import { activeVersion, readActiveConfig } from './config-versions.ts';

export interface ConfigSyncOptions {
  sql: Sql;
  store: ConfigStore;
  publisher: Redis;
  subscriber: Redis;
  prefix: string;
  logger: Logger;
  pollMs?: number;
}

export class ConfigSync {
  readonly #options: ConfigSyncOptions;
  readonly #channel: string;
  #timer: NodeJS.Timeout | null = null;
  #reloading: Promise<void> | null = null;
  #again = false;
  #stopped = false;

  constructor(options: ConfigSyncOptions) {
    this.#options = options;
    this.#channel = `${options.prefix}:config`;
  }

  async start(): Promise<void> {
    this.#options.subscriber.on('message', (channel: string) => {
      if (channel === this.#channel) this.reload();
    });
    await this.#options.subscriber.subscribe(this.#channel);
    const tick = () => {
      if (this.#stopped) return;
      this.reload();
      this.#timer = setTimeout(tick, this.#options.pollMs ?? 10_000);
    };
    this.#timer = setTimeout(tick, this.#options.pollMs ?? 10_000);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    await this.#options.subscriber.unsubscribe(this.#channel).catch(() => {});
    await this.#reloading;
  }

  publish(version: number): Promise<number> {
    return this.#options.publisher.publish(this.#channel, String(version));
  }

  /** Loads the configuration in force when it is newer than this process's (coalesces concurrent calls). */
  reload(): void {
    if (this.#stopped) return;
    if (this.#reloading) {
      this.#again = true;
      return;
    }
    this.#reloading = this.#reload()
      .catch((error: unknown) => this.#options.logger.error({ err: error }, 'configuration reload failed'))
      .finally(() => {
        this.#reloading = null;
        if (this.#again) {
          this.#again = false;
          this.reload();
        }
      });
  }

  /** Resolves when any reload under way has finished. */
  async settled(): Promise<void> {
    while (this.#reloading) await this.#reloading;
  }

  async #reload(): Promise<void> {
    const { sql, store, logger } = this.#options;
    if ((await activeVersion(sql)) <= store.version()) return;
    const stored = await readActiveConfig(sql);
    if (!stored || stored.version <= store.version()) return;
    store.replace(validateDocument(stored.document).config, stored.version);
    logger.info({ version: stored.version }, 'configuration reloaded');
  }
}
