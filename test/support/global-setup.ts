// Runs once before the suite: checks the shared servers answer so failures name the missing service.
import postgres from 'postgres';
import { Redis } from 'ioredis';
import { adminDatabaseUrl, redisUrl } from './env.ts';

export default async function setup(): Promise<void> {
  const sql = postgres(adminDatabaseUrl(), { max: 1, onnotice: () => {} });
  try {
    await sql`select 1`;
  } finally {
    await sql.end();
  }
  const redis = new Redis(redisUrl(), { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    await redis.ping();
  } finally {
    redis.disconnect();
  }
}
