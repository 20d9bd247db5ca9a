/**
 * Disposition codes per workgroup: a workgroup that lists its own codes uses those, every other
 * workgroup the global list. The default (applied when wrap-up times out) is the list's `default`
 * code, else its first.
 */
import type { Config } from '../config/schema.ts';

export type Disposition = Config['dispositions'][number];

export function dispositionsFor(config: Config, workgroup: string | null): Disposition[] {
  const own = config.workgroups.find((w) => w.id === workgroup)?.dispositions;
  if (!own) return config.dispositions;
  return own.flatMap((code) => config.dispositions.filter((d) => d.code === code));
}

export function defaultDispositionFor(config: Config, workgroup: string | null): string {
  const list = dispositionsFor(config, workgroup);
  return (list.find((d) => d.default) ?? list[0])?.code ?? 'none';
}
