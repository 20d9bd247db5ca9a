/**
 * Routing profiles: the distinct sets of skills the configured categories require, each kept sorted.
 * For every profile in use, `agent_slots` lists the agents that have its skills, ordered for routing
 * (best proficiency, then longest idle), so a new interaction finds its agent with one index probe
 * however many agents there are (router.ts). Triggers keep the slots true (migration 0008).
 */
import type { TransactionSql } from 'postgres';
import type { Config } from '../config/schema.ts';

/** The profile an interaction requiring these skills is routed by. */
export function routingProfile(skills: readonly string[]): string[] {
  return [...new Set(skills)].sort();
}

/** Makes `routing_profiles` hold exactly the configuration's profiles; the slots follow (a trigger). */
export async function syncRoutingProfiles(tx: TransactionSql, config: Pick<Config, 'categories'>): Promise<void> {
  const wanted = new Map(config.categories.map((category) => {
    const profile = routingProfile(category.skills);
    return [JSON.stringify(profile), profile] as const;
  }));
  const stored = await tx<{ skills: string[] }[]>`select skills from routing_profiles`;
  const have = new Set(stored.map((row) => JSON.stringify(row.skills)));
  const gone = [...have].filter((key) => !wanted.has(key));
  const added = [...wanted].filter(([key]) => !have.has(key)).map(([, profile]) => profile);
  // Each statement refreshes every agent's slots once; when nothing changed, none runs.
  if (gone.length > 0) {
    await tx`delete from routing_profiles where skills in (
      select array(select jsonb_array_elements_text(p)) from jsonb_array_elements(${tx.json(gone.map((key) => JSON.parse(key) as string[]))}) p)`;
  }
  if (added.length > 0) {
    await tx`insert into routing_profiles (skills)
      select array(select jsonb_array_elements_text(p)) from jsonb_array_elements(${tx.json(added)}) p`;
  }
}
