/** SIGTERM: the process ends its event streams, stops its workers and exits cleanly. */
import { describe, expect, it } from 'vitest';
import { TOKENS, twoAgentConfig } from '../support/configs.ts';
import { createTestDatabase } from '../support/database.ts';
import { openEventStream } from '../support/http-client.ts';
import { spawnSwitchboard, writeConfigFile } from '../support/processes.ts';

describe('graceful shutdown', () => {
  it('ends open event streams and exits 0 on SIGTERM', async () => {
    const db = await createTestDatabase();
    try {
      const configFile = await writeConfigFile(twoAgentConfig());
      const process = await spawnSwitchboard({ databaseUrl: db.url, configFile, prefix: `sbt-shutdown-${Date.now()}`, args: [] });
      const line = process.output.join('').split('\n').find((l) => l.includes('Switchboard is running'));
      const url = (JSON.parse(line ?? '{}') as { url?: string }).url;
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const health = await fetch(`${url}/healthz`);
      expect(health.status).toBe(200);
      const stream = await openEventStream(`${url}/api/me/events`, TOKENS.alice);
      await stream.next('status');
      const started = Date.now();
      const code = await process.kill('SIGTERM');
      expect(code).toBe(0);
      expect(Date.now() - started).toBeLessThan(10_000);
      await stream.close();
    } finally {
      await db.drop();
    }
  });
});
