/**
 * Bearer-token authentication and role checks. Every route declares the roles it admits
 * (`config: { roles: [...] }`); a route without roles is public (health, docs). Event streams may
 * pass the token as `access_token` in the query, because browsers' EventSource cannot set headers.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Sql } from 'postgres';
import type { ConfigStore } from '../config/config-store.ts';
import type { Role } from '../config/schema.ts';
import { hashToken } from '../auth/tokens.ts';
import { SwitchboardError } from '../errors.ts';

export interface Caller {
  id: string;
  name: string;
  role: Role;
}

declare module 'fastify' {
  interface FastifyRequest {
    caller: Caller;
  }
  interface FastifyContextConfig {
    roles?: readonly Role[];
    /** Accept `?access_token=` (event streams only). */
    queryToken?: boolean;
  }
}

const CACHE_MS = 5_000;

/** Tokens are cached briefly; a configuration change (users, roles, tokens) empties the cache at once. */
export function registerAuth(app: FastifyInstance, sql: Sql, config?: ConfigStore): void {
  const cache = new Map<string, { caller: Caller | null; until: number }>();
  const stopListening = config?.onReplace(() => cache.clear());
  if (stopListening) app.addHook('onClose', async () => void stopListening());
  const lookup = async (token: string): Promise<Caller | null> => {
    const hash = hashToken(token);
    const cached = cache.get(hash);
    if (cached && cached.until > Date.now()) return cached.caller;
    const [row] = await sql<Caller[]>`select id, name, role from users where token_hash = ${hash}`;
    const caller = row ?? null;
    if (cache.size > 10_000) cache.clear();
    cache.set(hash, { caller, until: Date.now() + CACHE_MS });
    return caller;
  };

  app.decorateRequest('caller', null as unknown as Caller);
  app.addHook('onRequest', async (request: FastifyRequest) => {
    const roles = request.routeOptions.config.roles;
    if (!roles) return;
    const header = request.headers.authorization;
    let token = header?.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
    if (!token && request.routeOptions.config.queryToken) {
      const query = request.query as Record<string, unknown> | undefined;
      if (typeof query?.access_token === 'string') token = query.access_token;
    }
    if (!token) throw new SwitchboardError('UNAUTHENTICATED');
    const caller = await lookup(token);
    if (!caller) throw new SwitchboardError('UNAUTHENTICATED', 'The bearer token is not valid');
    if (!roles.includes(caller.role)) {
      throw new SwitchboardError('FORBIDDEN', `This needs one of the roles ${roles.join(', ')}; you are ${caller.role}`);
    }
    request.caller = caller;
  });
}
