/** Whether an agent's reply waits for a supervisor: the agent, the interaction's workgroup or its category is flagged. */
import type { Config } from '../config/schema.ts';

export function needsReview(config: Config, reply: { agentId: string; workgroup: string | null; category: string | null }): boolean {
  const { review } = config;
  return (
    review.agents.includes(reply.agentId) ||
    (reply.workgroup !== null && review.workgroups.includes(reply.workgroup)) ||
    (reply.category !== null && review.categories.includes(reply.category))
  );
}
