/** The demo `npm start` runs when no configuration is given: config/demo.yaml with generated tokens, and a few interactions. */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { generateToken } from '../auth/tokens.ts';
import { parseConfig } from '../config/load-config.ts';
import type { Config } from '../config/schema.ts';
import type { Engine } from '../engine/engine.ts';

const DEMO_CONFIG = fileURLToPath(new URL('../../config/demo.yaml', import.meta.url));

export async function loadDemoConfig(dataDir: string): Promise<{ config: Config; tokens: Record<string, string> }> {
  const document = parseYaml(await readFile(DEMO_CONFIG, 'utf8')) as { users: { id: string; token?: string }[] };
  const tokensFile = resolve(dataDir, 'demo-tokens.json');
  const tokens: Record<string, string> = existsSync(tokensFile) ? JSON.parse(await readFile(tokensFile, 'utf8')) : {};
  for (const user of document.users) tokens[user.id] ??= generateToken();
  await writeFile(tokensFile, `${JSON.stringify(tokens, null, 2)}\n`, { mode: 0o600 });
  for (const user of document.users) user.token = tokens[user.id];
  return { config: parseConfig(document, DEMO_CONFIG), tokens };
}

const DEMO_MESSAGES = [
  { channel: 'email', from: 'maria@example.com', to: 'support@example.com', subject: 'Charged twice for invoice 2211', body: 'Hello, I was charged twice this month. Could you refund one of the payments?' },
  { channel: 'email', from: 'tom@example.org', to: 'support@example.com', subject: 'Where is my order?', body: 'My order 88231 has not arrived yet.' },
  { channel: 'sms', from: '+15555550123', to: '+15555550100', subject: undefined, body: 'Hola, gracias por la ayuda de ayer. Tengo otra pregunta.' },
] as const;

/** Queues a few interactions the first time the demo starts. */
export async function seedDemo(engine: Engine): Promise<number> {
  const [row] = await engine.database.sql<{ count: number }[]>`select count(*)::int as count from interactions`;
  if ((row?.count ?? 0) > 0) return 0;
  for (const message of DEMO_MESSAGES) await engine.intake({ ...message }, 'system:demo');
  return DEMO_MESSAGES.length;
}
