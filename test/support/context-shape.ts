/**
 * Run by test/engine/machine-context.test.ts in a process of its own, with `--allow-natives-syntax`:
 * takes the interaction machine through a lifecycle with the engine's machine steps and prints, for
 * each snapshot, whether V8 keeps its context's properties in a hidden class (fast) or in a hash table.
 */
import { interactionMachine } from '../../machines/interaction.machine.ts';
import type { InteractionEvent } from '../../machines/interaction.types.ts';
import { initialStep, step } from '../../src/engine/machine-step.ts';

const hasFastProperties = new Function('object', 'return %HasFastProperties(object)') as (object: unknown) => boolean;

const events: InteractionEvent[] = [
  { type: 'ACKNOWLEDGE', sent: false },
  { type: 'CATEGORIZE', category: 'billing', workgroup: 'support', skills: ['billing'], priority: 5, lastAgentRouting: false, overflowAfterMs: 0, targetAgentId: null, agingEveryMs: 60_000, agingAdd: 1 },
  { type: 'ENQUEUE' },
  { type: 'OFFER', offerId: 'offer-1', agentId: 'alice', timeoutMs: 30_000, ronaPriorityIncrement: 1 },
  { type: 'ACCEPT', agentId: 'alice' },
  { type: 'DONE', agentId: 'alice', wrapUpTimeoutMs: 60_000, defaultDisposition: 'resolved' },
  { type: 'WRAP_UP', agentId: 'alice', disposition: 'resolved' },
];

let [snapshot] = initialStep(interactionMachine, { id: 'interaction-1', channel: 'email', reference: 1 });
const keys = Object.keys(snapshot.context).join(',');
const steps = [{ event: 'xstate.init', fields: Object.keys(snapshot.context).length, fast: hasFastProperties(snapshot.context), sameKeys: true }];
for (const event of events) {
  const result = step(interactionMachine, snapshot, event);
  if (!result.handled) throw new Error(`${event.type} was not handled`);
  snapshot = result.snapshot;
  steps.push({ event: event.type, fields: Object.keys(snapshot.context).length, fast: hasFastProperties(snapshot.context), sameKeys: Object.keys(snapshot.context).join(',') === keys });
}
process.stdout.write(`${JSON.stringify({ state: snapshot.value, disposition: snapshot.context.disposition, steps })}\n`);
