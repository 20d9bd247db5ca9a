/**
 * What alerts watch, in the interaction's stages: `waiting` (in a queue or offered, not accepted),
 * `active` (held by an agent, not done: a draft) and `open` (not closed, counted from arrival, which
 * is when the interaction is categorized). A watch begins when a transition enters its stages and
 * ends when one leaves them.
 */
import type { InteractionContext } from '../../machines/interaction.types.ts';
import type { AlertRuleConfig, AlertWatch } from './desk-config.ts';

export const WATCH_STAGES: Record<AlertWatch, readonly string[]> = {
  waiting: ['queued', 'offered'],
  active: ['active'],
  open: ['received', 'acknowledged', 'categorized', 'queued', 'offered', 'active', 'wrapUp'],
};

interface Side {
  state: string;
  context: InteractionContext;
}

/** The watches a transition begins. */
export function watchesBegun(before: Side, after: Side): AlertWatch[] {
  const begun: AlertWatch[] = [];
  if (before.context.category === null && after.context.category !== null && WATCH_STAGES.open.includes(after.state)) begun.push('open');
  for (const watch of ['waiting', 'active'] as const) {
    if (!WATCH_STAGES[watch].includes(before.state) && WATCH_STAGES[watch].includes(after.state)) begun.push(watch);
  }
  return begun;
}

/** Whether a transition leaves the stages of any watch (only then can it clear alerts). */
export function watchesEnded(before: string, after: string): boolean {
  return Object.values(WATCH_STAGES).some((stages) => stages.includes(before) && !stages.includes(after));
}

/** The rules that apply to an interaction beginning a watch. */
export function matchingRules(
  rules: readonly AlertRuleConfig[],
  watch: { watch: AlertWatch; channel: string; workgroup: string | null; category: string | null },
): AlertRuleConfig[] {
  return rules.filter(
    (rule) =>
      rule.watch === watch.watch &&
      (rule.channel === 'both' || rule.channel === watch.channel) &&
      (rule.workgroup === undefined || rule.workgroup === watch.workgroup) &&
      (rule.category === undefined || rule.category === watch.category),
  );
}
