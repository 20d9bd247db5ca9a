/** Events the machine tests share. */
import type { InteractionEvent } from '../../machines/interaction.types.ts';

/** Categorized as billing for the support workgroup, targeted at `targetAgentId` when given. */
export const categorize = (targetAgentId: string | null): InteractionEvent => ({
  type: 'CATEGORIZE',
  category: 'billing',
  workgroup: 'support',
  skills: ['billing'],
  priority: 10,
  lastAgentRouting: true,
  overflowAfterMs: 60_000,
  targetAgentId,
  agingEveryMs: 30_000,
  agingAdd: 2,
});
