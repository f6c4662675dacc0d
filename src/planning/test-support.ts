// Helpers for the planning tests (excluded from the package: see package.json "files").
import type { Environment } from '../environments/index.js';
import { createFsmEnvironment, parseFsmDomain, type FsmEnvironment } from '../environments/fsm/index.js';
import type { JsonValue } from '../internal/json.js';
import type { CandidateAction, Policy, PolicyResult, Proposal } from './policy.js';

/**
 * A small hand-made world: rooms joined by cheap walks and one expensive flight, a dead end (the cellar,
 * reached by a one-way chute), and an irreversible payment that must be made at the goal room.
 *
 *   start --walk--> hall --walk--> gate     (3 walks, cost 3, then pay)
 *   start --fly (cost 5)---------> gate
 *   start --chute--> cellar (dead end: no way out)
 *   start --walk--> yard (pay there is a trap: paying anywhere but the gate fails the task)
 */
export const MINI_DOMAIN = `
name: mini
description: A hand-made test world.
sets:
  rooms: [start, hall, lobby, gate, cellar, yard]
constants:
  walks: {start: [hall, yard], hall: [lobby, start], lobby: [gate, hall], gate: [lobby], cellar: [], yard: [start]}
variables:
  at: {type: enum, values: rooms, initial: start}
  paid_at: {type: enum, values: [nowhere, start, hall, lobby, gate, cellar, yard], initial: nowhere}
actions:
  - name: walk
    description: Walk to a neighbouring room.
    effect: write
    reversible: true
    args: {to: {type: enum, values: rooms}}
    when: {name: joined, check: 'oneOf(to, walks[at])'}
    set: {at: to}
  - name: fly
    description: Fly straight from the start to the gate. Expensive.
    effect: write
    cost: 5
    when: {name: at-start, check: 'at == "start"'}
    set: {at: '"gate"'}
  - name: chute
    description: Slide down to the cellar. There is no way back.
    effect: write
    reversible: false
    when: {name: at-start, check: 'at == "start"'}
    set: {at: '"cellar"'}
  - name: pay
    description: Pay the fee. Irreversible.
    effect: irreversible
    when: {name: unpaid, check: 'paid_at == "nowhere"'}
    set: {paid_at: at}
  - name: look
    description: Look around.
    effect: read
    output: {room: at}
tasks:
  - id: pay-at-gate
    instruction: Get to the gate and pay the fee there.
    goal: 'at == "gate" && paid_at == "gate"'
  - id: reach-gate
    instruction: Get to the gate.
    goal: 'at == "gate"'
  - id: pay-then-lobby
    instruction: Pay the fee at the gate, then walk on to the lobby.
    goal: 'at == "lobby" && paid_at == "gate"'
`;

export function miniEnvironment(): FsmEnvironment {
  return createFsmEnvironment(parseFsmDomain(MINI_DOMAIN, 'mini.yaml'));
}

/** The same world without snapshot/restore: planners must rebuild states by re-executing paths. */
export function miniEnvironmentWithoutSnapshots(): Environment {
  const inner = miniEnvironment();
  return { name: inner.name, actions: inner.actions, tasks: inner.tasks, observationIsComplete: true, observe: () => inner.observe(), startTask: (id: string) => inner.startTask(id) };
}

type Schema = { properties?: Record<string, { enum?: JsonValue[] }> };

/** Every way to call an action whose arguments are all enums. */
function groundings(candidate: CandidateAction): JsonValue[] {
  let inputs: Record<string, JsonValue>[] = [{}];
  for (const [key, property] of Object.entries((candidate.inputSchema as Schema).properties ?? {})) {
    inputs = inputs.flatMap((input) => (property.enum ?? []).map((value) => ({ ...input, [key]: value })));
  }
  return inputs;
}

export interface ScriptedPolicyOptions {
  /**
   * Value given to a child, by its action and input (default 0.5); `observation` is the child's (undefined when
   * it was not executed), `from` the state it is judged from when it is an action value (valuesActions).
   */
  value?: (action: string, input: JsonValue, observation: JsonValue | undefined, from?: JsonValue) => number;
  /** Proposal order: lower first (default: candidate order). */
  rank?: (action: string, input: JsonValue) => number;
  /** Implement `proposeAndValue` too (the state's value is `value` of the step that led to it). */
  valuesWhileProposing?: boolean;
  /** With `valuesWhileProposing`: each proposal also carries its action's value (`value` with no observation). */
  valuesActions?: boolean;
}

/**
 * A deterministic test policy: proposes every grounding of every candidate (ordered by `rank`), values
 * children with `value`, samples the proposals as one-step plans, and counts its calls.
 */
export function scriptedPolicy(options: ScriptedPolicyOptions = {}): Policy & { calls: Record<string, number> } {
  const calls: Record<string, number> = { propose: 0, proposeAndValue: 0, evaluate: 0, samplePlans: 0, reflect: 0 };
  const usage = { modelCalls: 1, inputTokens: 10, outputTokens: 2 };
  const all = (candidates: readonly CandidateAction[]): Proposal[] => {
    const proposals = candidates.flatMap((candidate) => groundings(candidate).map((input) => ({ action: candidate.name, input, probability: 0.5 })));
    if (options.rank !== undefined) proposals.sort((a, b) => (options.rank?.(a.action, a.input) ?? 0) - (options.rank?.(b.action, b.input) ?? 0));
    return proposals;
  };
  const proposeAndValue: Pick<Policy, 'proposeAndValue'> = options.valuesWhileProposing === true ? {
    async proposeAndValue(state, candidates, k) {
      calls.proposeAndValue = (calls.proposeAndValue ?? 0) + 1;
      const last = state.trajectory[state.trajectory.length - 1];
      const value = last === undefined ? 0.5 : (options.value?.(last.action, last.input, state.observation) ?? 0.5);
      const proposals = all(candidates).slice(0, k);
      const valued = options.valuesActions === true ? proposals.map((proposal) => ({ ...proposal, value: options.value?.(proposal.action, proposal.input, undefined, state.observation) ?? 0.5 })) : proposals;
      return { value: { proposals: valued, value }, usage };
    },
  } : {};
  return {
    name: 'scripted',
    calls,
    ...proposeAndValue,
    async propose(_state, candidates, k): Promise<PolicyResult<Proposal[]>> {
      calls.propose = (calls.propose ?? 0) + 1;
      return { value: all(candidates).slice(0, k), usage };
    },
    async evaluate(_state, children): Promise<PolicyResult<number[]>> {
      calls.evaluate = (calls.evaluate ?? 0) + 1;
      return { value: children.map((child) => options.value?.(child.action, child.input, child.observation) ?? 0.5), usage };
    },
    async samplePlans(_state, candidates, n) {
      calls.samplePlans = (calls.samplePlans ?? 0) + 1;
      return { value: all(candidates).slice(0, n).map((proposal) => ({ steps: [{ action: proposal.action, input: proposal.input }] })), usage };
    },
    async reflect() {
      calls.reflect = (calls.reflect ?? 0) + 1;
      return { value: 'Reflection: that did not work.', usage };
    },
  };
}
