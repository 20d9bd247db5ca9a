/**
 * The configuration in force. Decisions read `current()` each time, so a replaced configuration
 * applies to the next decision without a restart. `version` is the stored document's version it came
 * from (0 before any is stored).
 */
import { compileCategories, type Categorizer } from '../engine/categorize.ts';
import type { Config } from './schema.ts';

export class ConfigStore {
  #config: Config;
  #categorizer: Categorizer;
  #version: number;
  readonly #listeners = new Set<(config: Config, version: number) => void>();

  constructor(config: Config, version = 0) {
    this.#config = config;
    this.#categorizer = compileCategories(config.categories);
    this.#version = version;
  }

  current(): Config {
    return this.#config;
  }

  categorizer(): Categorizer {
    return this.#categorizer;
  }

  version(): number {
    return this.#version;
  }

  replace(config: Config, version?: number): void {
    this.#categorizer = compileCategories(config.categories);
    this.#config = config;
    if (version !== undefined) this.#version = version;
    for (const listener of this.#listeners) listener(config, this.#version);
  }

  /** Called after every replacement (e.g. to drop caches derived from the configuration). */
  onReplace(listener: (config: Config, version: number) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  defaultDisposition(): string {
    const dispositions = this.#config.dispositions;
    return (dispositions.find((d) => d.default) ?? dispositions[0])?.code ?? 'none';
  }
}
