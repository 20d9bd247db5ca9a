// `npx switchboard <command> [...args]`: one file per command in ./commands, loaded on demand.
const commands: Record<string, () => Promise<{ run(args: string[]): Promise<number> }>> = {
  start: () => import('./commands/start.ts'),
  worker: () => import('./commands/worker.ts'),
  replay: () => import('./commands/replay.ts'),
  'classify-email': () => import('./commands/classify-email.ts'),
  'sms-segments': () => import('./commands/sms-segments.ts'),
  config: () => import('./commands/config.ts'),
};

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  const load = name === undefined ? undefined : commands[name];
  if (!load) {
    process.stderr.write(`usage: switchboard <${Object.keys(commands).join('|')}> [...args]\n`);
    return 2;
  }
  const command = await load();
  return command.run(rest);
}

process.exitCode = await main(process.argv.slice(2));
