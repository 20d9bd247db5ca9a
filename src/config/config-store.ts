/**
 * The configuration in force. Decisions read `current()` each time, so a replaced configuration
 * applies to the next decision without a restart.
 */
import { compileCategories, type Categorizer } from '../engine/categorize.ts';
import type { Config } from './schema.ts';

export class ConfigStore {
  #config: Config;
  #categorizer: Categorizer;

  constructor(config: Config) {
    this.#config = config;
    this.#categorizer = compileCategories(config.categories);
  }

  current(): Config {
    return this.#config;
  }

  categorizer(): Categorizer {
    return this.#categorizer;
  }

  replace(config: Config): void {
    this.#categorizer = compileCategories(config.categories);
    this.#config = config;
  }

  defaultDisposition(): string {
    const dispositions = this.#config.dispositions;
    return (dispositions.find((d) => d.default) ?? dispositions[0])?.code ?? 'none';
  }
}
