/** `switchboard config check <file>`: validates a configuration file without applying it. */
import { ConfigError } from '../../errors.ts';
import { loadConfigFile } from '../../config/load-config.ts';

async function check(file: string | undefined): Promise<number> {
  if (!file) {
    process.stderr.write('usage: switchboard config check <file>\n');
    return 2;
  }
  try {
    const config = await loadConfigFile(file);
    process.stdout.write(
      `${JSON.stringify({ file, valid: true, users: config.users.length, workgroups: config.workgroups.length, categories: config.categories.length })}\n`,
    );
    return 0;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stdout.write(`${JSON.stringify({ file, valid: false, errors: error.details.length ? error.details : [error.message] })}\n`);
    return 1;
  }
}

export async function run(args: string[]): Promise<number> {
  const [subcommand, ...rest] = args;
  switch (subcommand) {
    case 'check':
      return check(rest[0]);
    default:
      process.stderr.write('usage: switchboard config check <file>\n');
      return 2;
  }
}
