/** The `path: problem` lines a configuration document is refused with (none when it is valid). */
import { parseConfig } from '../../src/config/load-config.ts';
import { ConfigError } from '../../src/errors.ts';

export function configProblems(document: unknown): string[] {
  try {
    parseConfig(document);
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return error.details;
    throw error;
  }
}
