import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import type { EnvironmentTask, OracleView, TaskOracle } from '../../environments/index.js';
import { ArborError, BudgetExceededError, CancelledError, UsageError } from '../../errors/index.js';
import type { JsonValue } from '../../internal/json.js';
import type {
  CandidateAction,
  ChildView,
  PlanSample,
  Policy,
  PolicyCallOptions,
  PolicyResult,
  PolicyState,
  Proposal,
} from '../../planning/policy.js';
import { perturbInput, sampleValue } from './json-schema-sampling.js';

/** How the simulated policy's accuracy falls as more candidates are shown (BFCL-like). */
export interface AccuracyDecay {
  /** Up to this many candidates, accuracy is as configured. Default 20. */
  threshold?: number;
  /**
   * Fraction of the accuracy lost per doubling of the candidates beyond the threshold:
   * p_eff = p * max(0.05, 1 - perDoubling * log2(n / threshold)). Default 0 (no decay). About 0.1 matches
   * BFCL's reported ~96% with 20 or fewer tools against ~76% with 80 or more.
   */
  perDoubling?: number;
}

export interface SimulatedPolicyOptions {
  /** The tasks the policy may be asked about: it consults their oracles (found by the state's task id). */
  tasks: readonly EnvironmentTask[];
  /** Seed of the policy's random choices. Default 1. */
  seed?: number;
  /** p: the chance that a proposal slot holds a right action (one on a least-cost path). Default 0.7. */
  accuracy?: number;
  /** σ: standard deviation of the Gaussian noise added to every value. Default 0.2. */
  valueNoise?: number;
  accuracyDecay?: AccuracyDecay;
  /** The true value of a state is discount^(cost to go): the chance of finishing at a 5% risk per step. Default 0.95. */
  valueDiscount?: number;
  /** Longest plan samplePlans writes. Default 40. */
  maxPlanLength?: number;
  /** Characters per billed token (a BPE tokenizer averages about 4 on English and JSON). Default 4. */
  charsPerToken?: number;
}

/** A simulated policy: what it is, said wherever its results appear. */
export interface SimulatedPolicy extends Policy {
  readonly simulated: true;
  proposeAndValue: NonNullable<Policy['proposeAndValue']>;
  samplePlans: NonNullable<Policy['samplePlans']>;
  reflect: NonNullable<Policy['reflect']>;
  readonly settings: Readonly<{ seed: number; accuracy: number; valueNoise: number; perDoubling: number; threshold: number; valueDiscount: number }>;
  /** The accuracy it has when shown n candidates. */
  effectiveAccuracy(candidates: number): number;
}

// Fixed parts of each prompt (instructions, output format), in tokens; `value` is what proposeAndValue adds
// to propose (asking for the state's value and each proposal's, as propose-value.v2.md does).
const PROMPT_TOKENS = { propose: 180, evaluate: 120, samplePlans: 220, reflect: 150, value: 80 } as const;

/**
 * A SIMULATION of a model, for benchmarks and tests: it knows each task's optimal next actions (from the
 * task's oracle) and proposes a right one with probability p (else a plausible wrong one: the right
 * action with one argument changed, or another candidate with sampled arguments), values states as
 * discount^(cost to go) plus Gaussian noise σ, and bills calls and tokens as a real model would: the
 * prompt grows with the state, the trajectory and every candidate shown. Seeded: the same seed and the
 * same calls give the same answers.
 */
export function createSimulatedPolicy(options: SimulatedPolicyOptions): SimulatedPolicy {
  const seed = options.seed ?? 1;
  const accuracy = options.accuracy ?? 0.7;
  const valueNoise = options.valueNoise ?? 0.2;
  const threshold = options.accuracyDecay?.threshold ?? 20;
  const perDoubling = options.accuracyDecay?.perDoubling ?? 0;
  const discount = options.valueDiscount ?? 0.95;
  const maxPlanLength = options.maxPlanLength ?? 40;
  const charsPerToken = options.charsPerToken ?? 4;
  if (!(accuracy >= 0 && accuracy <= 1)) throw new UsageError(`accuracy must be in [0, 1], got ${accuracy}`);
  if (!(valueNoise >= 0)) throw new UsageError(`valueNoise must be >= 0, got ${valueNoise}`);
  if (!(discount > 0 && discount < 1)) throw new UsageError(`valueDiscount must be in (0, 1), got ${discount}`);
  const oracles = new Map<string, TaskOracle>();
  for (const task of options.tasks) if (task.oracle !== undefined) oracles.set(task.id, task.oracle);

  const rng = xoroshiro128plus(seed);
  const random = (): number => uniformFloat64(rng);
  const gaussian = (): number => {
    const u = 1 - random();
    const v = random();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  };
  const tokens = (text: string): number => Math.ceil(text.length / charsPerToken);
  const candidateTokenCache = new WeakMap<readonly CandidateAction[], number>();
  const nameCache = new WeakMap<readonly CandidateAction[], Set<string>>();
  const namesOf = (candidates: readonly CandidateAction[]): Set<string> => {
    let names = nameCache.get(candidates);
    if (names === undefined) nameCache.set(candidates, (names = new Set(candidates.map((candidate) => candidate.name))));
    return names;
  };
  const candidateTokens = (candidates: readonly CandidateAction[]): number => {
    let total = candidateTokenCache.get(candidates);
    if (total === undefined) {
      total = 0;
      for (const candidate of candidates) total += 8 + tokens(candidate.name) + tokens(candidate.description) + tokens(JSON.stringify(candidate.inputSchema));
      candidateTokenCache.set(candidates, total);
    }
    return total;
  };
  const stateTokens = (state: PolicyState): number => {
    let total = tokens(state.task.instruction) + tokens(JSON.stringify(state.observation));
    for (const step of state.trajectory) total += 6 + tokens(JSON.stringify([step.action, step.input, step.status, step.output ?? step.error?.code ?? null]).slice(0, 600));
    for (const reflection of state.reflections ?? []) total += tokens(reflection);
    for (const step of state.tried ?? []) total += 6 + tokens(JSON.stringify([step.action, step.input, step.status, step.error?.code ?? null]));
    return total;
  };
  const effectiveAccuracy = (shown: number): number => {
    if (shown <= threshold || perDoubling === 0) return accuracy;
    return accuracy * Math.max(0.05, 1 - perDoubling * Math.log2(shown / threshold));
  };
  const oracleFor = (state: PolicyState): TaskOracle => {
    const oracle = state.task.id === undefined ? undefined : oracles.get(state.task.id);
    if (oracle === undefined) {
      throw new UsageError(
        `The simulated policy has no oracle for task "${state.task.id ?? '(no id)'}"`,
        'Pass the environment\'s tasks (with their oracles) as options.tasks; only tasks with an oracle can be simulated.',
        { task: state.task.id ?? null },
      );
    }
    return oracle;
  };
  const viewOf = (state: PolicyState): OracleView => ({ observation: state.observation, trajectory: state.trajectory });
  const valueOf = (costToGo: number): number => (Number.isFinite(costToGo) ? discount ** Math.max(0, costToGo) : 0);
  const noisy = (value: number): number => Math.min(1, Math.max(0, value + valueNoise * gaussian()));
  const settle = <T>(value: T, inputTokens: number, outputTokens: number, call: PolicyCallOptions | undefined): PolicyResult<T> => {
    if (call?.signal?.aborted) throw new CancelledError('The simulated policy call', call.signal.reason);
    const wanted = inputTokens + outputTokens;
    if (call?.remainingTokens !== undefined && wanted > call.remainingTokens) {
      throw new BudgetExceededError('tokens', call.remainingTokens, wanted);
    }
    return { value, usage: { modelCalls: 1, inputTokens, outputTokens } };
  };
  const keyOf = (action: string, input: JsonValue): string => `${action} ${JSON.stringify(input)}`;
  const avoided = (state: PolicyState): Set<string> => {
    const keys = new Set<string>();
    for (const reflection of state.reflections ?? []) for (const match of reflection.matchAll(/^avoid: (.+)$/gm)) if (match[1] !== undefined) keys.add(match[1]);
    // What was already tried from here is shown in the prompt: the simulation does not repeat it.
    for (const step of state.tried ?? []) keys.add(keyOf(step.action, step.input));
    return keys;
  };

  /** A plausible wrong action: a right one with an argument changed, or another candidate. */
  const wrongAction = (
    rights: readonly { action: string; input: JsonValue }[],
    candidates: readonly CandidateAction[],
    exclude: Set<string>,
  ): { action: string; input: JsonValue } | undefined => {
    for (let attempt = 0; attempt < 12; attempt++) {
      let guess: { action: string; input: JsonValue } | undefined;
      const right = rights.length === 0 ? undefined : rights[Math.floor(random() * rights.length)];
      if (right !== undefined && random() < 0.4) {
        const candidate = candidates.find((c) => c.name === right.action);
        const input = candidate === undefined ? undefined : perturbInput(candidate.inputSchema, right.input, random);
        if (input !== undefined) guess = { action: right.action, input };
      }
      if (guess === undefined) {
        const candidate = candidates[Math.floor(random() * candidates.length)];
        if (candidate === undefined) return undefined;
        guess = { action: candidate.name, input: sampleValue(candidate.inputSchema, random) };
      }
      if (!exclude.has(keyOf(guess.action, guess.input))) return guess;
    }
    return undefined;
  };

  /** One decision: a right action with probability p_eff, else a wrong one. */
  const decide = (
    rights: readonly { action: string; input: JsonValue }[],
    allRights: Set<string>,
    candidates: readonly CandidateAction[],
    used: Set<string>,
    pEff: number,
  ): { action: string; input: JsonValue } | undefined => {
    const open = rights.filter((right) => !used.has(keyOf(right.action, right.input)));
    if (open.length > 0 && random() < pEff) return open[Math.floor(random() * open.length)];
    return wrongAction(rights, candidates, new Set([...used, ...allRights]));
  };

  /** One proposal call's answer and what it bills (shared by propose and proposeAndValue). */
  const proposeAt = (state: PolicyState, candidates: readonly CandidateAction[], k: number): { proposals: Proposal[]; input: number; output: number } => {
    const oracle = oracleFor(state);
    const shown = namesOf(candidates);
    const rights = oracle.nextActions(viewOf(state)).filter((right) => shown.has(right.action));
    const allRights = new Set(rights.map((right) => keyOf(right.action, right.input)));
    const pEff = effectiveAccuracy(candidates.length);
    const used = avoided(state);
    const chosen: { action: string; input: JsonValue }[] = [];
    for (let slot = 0; slot < k; slot++) {
      const choice = decide(rights, allRights, candidates, used, pEff);
      if (choice === undefined) continue;
      used.add(keyOf(choice.action, choice.input));
      chosen.push(choice);
    }
    // Stated probabilities fall with rank (the simulation is as confident in a wrong top pick as a right one).
    const weights = chosen.map((_, rank) => 2 ** -rank);
    const total = weights.reduce((sum, weight) => sum + weight, 0);
    const proposals: Proposal[] = chosen.map((choice, rank) => ({ ...choice, probability: (weights[rank] ?? 0) / total }));
    const input = PROMPT_TOKENS.propose + stateTokens(state) + candidateTokens(candidates);
    const output = proposals.reduce((sum, proposal) => sum + 12 + tokens(JSON.stringify(proposal.input)) + tokens(proposal.action), 0);
    return { proposals, input, output };
  };

  const policy: SimulatedPolicy = {
    name: `simulated(p=${accuracy},sigma=${valueNoise},seed=${seed}${perDoubling > 0 ? `,decay=${perDoubling}` : ''})`,
    simulated: true,
    settings: { seed, accuracy, valueNoise, perDoubling, threshold, valueDiscount: discount },
    effectiveAccuracy,

    async propose(state, candidates, k, call) {
      const { proposals, input, output } = proposeAt(state, candidates, k);
      return settle(proposals, input, output, call);
    },

    async proposeAndValue(state, candidates, k, call) {
      const { proposals, input, output } = proposeAt(state, candidates, k);
      // The state's value and each proposal's value are more numbers in the same answer, with the same
      // noise as evaluate's; a proposal is judged by its predicted outcome, as evaluate judges a child
      // that was not executed.
      const judge = judgeAt(state);
      const value = noisy(valueOf(judge.here));
      const valued = proposals.map((proposal) => ({ ...proposal, value: judge.child({ action: proposal.action, input: proposal.input }) }));
      return settle({ proposals: valued, value }, input + PROMPT_TOKENS.value, output + 6 * (1 + valued.length), call);
    },

    async evaluate(state, children, call) {
      const judge = judgeAt(state);
      const values = children.map((child) => judge.child(child));
      const input = PROMPT_TOKENS.evaluate + stateTokens(state) + children.reduce((sum, child) => sum + childTokens(child), 0);
      return settle(values, input, 6 * children.length, call);
    },

    async samplePlans(state, candidates, n, call) {
      const oracle = oracleFor(state);
      if (oracle.predict === undefined) {
        throw new ArborError('ARBOR_POLICY_UNSUPPORTED', `The simulated policy cannot sample whole plans for task "${state.task.id ?? ''}": its oracle cannot predict states`, {
          hint: 'Use a step-by-step strategy (astar, best-first, mcts, beam, greedy) for this environment.',
          data: { task: state.task.id ?? null },
        });
      }
      const shown = namesOf(candidates);
      const pEff = effectiveAccuracy(candidates.length);
      const plans: PlanSample[] = [];
      for (let index = 0; index < n; index++) {
        let view: OracleView = viewOf(state);
        const steps: PlanSample['steps'] = [];
        while (steps.length < maxPlanLength && oracle.costToGo(view) !== 0) {
          const rights = oracle.nextActions(view).filter((right) => shown.has(right.action));
          const choice = decide(rights, new Set(rights.map((right) => keyOf(right.action, right.input))), candidates, new Set(), pEff);
          if (choice === undefined) break;
          steps.push(choice);
          // The model writes the plan open-loop: it imagines each step's outcome and goes on from there.
          view = oracle.predict(view, choice.action, choice.input) ?? view;
        }
        plans.push({ steps });
      }
      const input = PROMPT_TOKENS.samplePlans + stateTokens(state) + candidateTokens(candidates);
      const output = plans.reduce((sum, plan) => sum + 4 + plan.steps.reduce((s, step) => s + 8 + tokens(step.action) + tokens(JSON.stringify(step.input)), 0), 0);
      return settle(plans, input, output, call);
    },

    async reflect(state, call) {
      const last = state.trajectory[state.trajectory.length - 1];
      const text = last === undefined
        ? 'Reflection: no step taken yet led anywhere useful.'
        : `Reflection: the path through ${state.trajectory.map((step) => step.action).join(' > ')} did not lead to the goal.\navoid: ${keyOf(last.action, last.input)}`;
      return settle(text, PROMPT_TOKENS.reflect + stateTokens(state), tokens(text), call);
    },
  };

  function childTokens(child: ChildView): number {
    return 6 + tokens(JSON.stringify([child.action, child.input, child.status ?? 'not executed'])) + (child.observation === undefined ? 0 : tokens(JSON.stringify(child.observation)));
  }

  /** How the policy judges a state's children (executed or not): the state's cost to go, and a noisy value per child. */
  function judgeAt(state: PolicyState): { here: number; child: (child: ChildView) => number } {
    const oracle = oracleFor(state);
    const view = viewOf(state);
    const here = oracle.costToGo(view);
    const rights = new Set(oracle.nextActions(view).map((right) => keyOf(right.action, right.input)));
    return { here, child: (child) => noisy(trueValue(oracle, view, here, rights, child)) };
  }

  function trueValue(oracle: TaskOracle, view: OracleView, here: number, rights: Set<string>, child: ChildView): number {
    const cost = 1;
    if (child.status === undefined) {
      // Not executed (an irreversible commit point): judge it by the predicted outcome.
      const predicted = oracle.predict?.(view, child.action, child.input);
      if (predicted !== undefined) return valueOf(oracle.costToGo(predicted));
      return valueOf(rights.has(keyOf(child.action, child.input)) ? here - cost : here + cost);
    }
    if (child.status !== 'ok') return valueOf(here) / 2;
    const next: OracleView = {
      observation: child.observation ?? null,
      trajectory: [...view.trajectory, { action: child.action, input: child.input, status: child.status, ...(child.output === undefined ? {} : { output: child.output }) }],
    };
    return valueOf(oracle.costToGo(next));
  }

  return policy;
}
