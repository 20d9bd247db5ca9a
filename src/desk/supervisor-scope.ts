/**
 * Which workgroups a caller supervises: a supervisor with workgroups supervises those, one without
 * supervises all, and so does an admin. Read from the configuration in force on every request.
 */
import type { Config } from '../config/schema.ts';
import { SwitchboardError } from '../errors.ts';
import type { Caller } from '../http/auth.ts';

/** null: every workgroup. */
export function supervisedWorkgroups(config: Config, caller: Caller): string[] | null {
  if (caller.role === 'admin') return null;
  const user = config.users.find((u) => u.id === caller.id);
  const workgroups = user?.workgroups ?? [];
  return workgroups.length === 0 ? null : workgroups;
}

export function supervises(scope: string[] | null, workgroup: string | null): boolean {
  return scope === null || (workgroup !== null && scope.includes(workgroup));
}

export function assertSupervises(scope: string[] | null, workgroup: string | null): void {
  if (!supervises(scope, workgroup)) {
    throw new SwitchboardError('NOT_SUPERVISED', `workgroup ${workgroup ?? '(none)'} is not one you supervise`);
  }
}

/** The configured workgroups in a scope, in configuration order. */
export function workgroupsInScope(config: Config, scope: string[] | null): { id: string; name: string }[] {
  return config.workgroups.filter((w) => scope === null || scope.includes(w.id)).map((w) => ({ id: w.id, name: w.name }));
}
