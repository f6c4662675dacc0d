import type { ActionSpace, AnyAction } from '../actions/index.js';
import type { ArborError } from '../errors/index.js';
import type { ApprovalPolicy, Guard } from '../execution/index.js';
import { allActions, allCandidates, type CandidateAction, type CandidateProvider } from '../planning/index.js';
import type { Store } from '../provenance/index.js';
import type { PolicyDefinition } from './config-schema.js';
import { checkMasks, maskGuard, type MaskTable } from './mask-guard.js';
import { narrowCandidate } from './narrow.js';
import { policyGuard } from './policy-guard.js';
import { PolicyRules, type PolicyDecision } from './policy-rules.js';
import { stageGuard } from './stage-guard.js';
import { StageMachine, type StageDecision, type StageMachineDefinition, type StagePathStep } from './stage-machine.js';

export interface GuardsOptions {
  stages?: StageMachine | StageMachineDefinition;
  /** Masks for actions that do not declare their own, by action name pattern, then argument path. */
  masks?: MaskTable;
  policy?: PolicyRules | PolicyDefinition;
  /** Asked when a policy rule says `ask`. Default: nobody (such calls are blocked as needing approval). */
  approval?: ApprovalPolicy;
  /** Lets the stage guard read stages recorded with earlier steps (resumed runs, forks). */
  store?: Store;
  /** Masked arguments with at most this many valid values are shown as an enum. Default 32. */
  maxEnum?: number;
}

/** Where an agent stands, as guards need it to decide what is allowed. */
export interface GuardView {
  /** The environment's observation (what masks and `stageOf` read). */
  observation?: unknown;
  /** Steps taken so far (what a stage machine follows when it has no `stageOf`). */
  trajectory?: readonly StagePathStep[];
  /** The stage, when the caller already knows it. */
  stage?: string;
}

/** A concrete call as every guard would judge it, without running anything (for `arbor policy check`). */
export interface CallCheck {
  allowed: boolean;
  /** `ask`: allowed only with approval. */
  needsApproval: boolean;
  stage?: { name: string } & StageDecision;
  mask?: { ok: true } | { ok: false; error: ArborError };
  policy?: PolicyDecision;
}

/**
 * The guards of a deployment in one place: executor guards (stage machine, argument masks, policy rules,
 * applied in that order so nobody is asked to approve a call that would be blocked anyway) and the
 * matching view for planners, who are shown only the actions, and the argument values, that would pass.
 */
export class GuardSet {
  readonly stages: StageMachine | undefined;
  readonly policy: PolicyRules | undefined;
  readonly masks: MaskTable;
  readonly guards: readonly Guard[];
  readonly #maxEnum: number;

  constructor(options: GuardsOptions = {}) {
    this.stages = options.stages === undefined ? undefined : options.stages instanceof StageMachine ? options.stages : new StageMachine(options.stages);
    this.policy = options.policy === undefined ? undefined : options.policy instanceof PolicyRules ? options.policy : new PolicyRules(options.policy);
    this.masks = Object.freeze({ ...options.masks });
    this.#maxEnum = options.maxEnum ?? 32;
    const guards: Guard[] = [];
    if (this.stages !== undefined) guards.push(stageGuard(this.stages, options.store === undefined ? {} : { store: options.store }));
    guards.push(maskGuard(this.masks));
    if (this.policy !== undefined) guards.push(policyGuard(this.policy, options.approval === undefined ? {} : { approval: options.approval }));
    this.guards = Object.freeze(guards);
  }

  /** The stage at a point, or undefined without a stage machine. */
  stageAt(view: GuardView): string | undefined {
    if (this.stages === undefined) return undefined;
    return view.stage ?? this.stages.stageAt(view);
  }

  /** Whether some call of the action could pass the stage machine and the policy at this point (masks aside). */
  mayPropose(action: AnyAction, view: GuardView): boolean {
    const stage = this.stageAt(view);
    if (stage !== undefined && this.stages?.allows(stage, action) !== true) return false;
    return this.policy?.couldAllow({ action: action.name, effect: action.effect, source: action.source }) ?? true;
  }

  /**
   * The candidates a planner or model may see at this point: actions the stage allows and the policy does
   * not deny outright, with masked arguments narrowed to their valid values (an enum when few). Actions
   * none of whose calls could pass are left out, which shrinks the branching factor.
   */
  allowedCandidates(view: GuardView, actions: ActionSpace, from: readonly CandidateAction[] = allCandidates(actions)): CandidateAction[] {
    const allowed: CandidateAction[] = [];
    const stage = this.stageAt(view);
    const resolved: GuardView = stage === undefined ? view : { ...view, stage };
    for (const candidate of from) {
      const action = actions.find(candidate.name);
      if (action === undefined || !this.mayPropose(action, resolved)) continue;
      const narrowed = narrowCandidate(candidate, action, view.observation, this.masks, { maxEnum: this.#maxEnum });
      if (narrowed !== undefined) allowed.push(narrowed);
    }
    return allowed;
  }

  /**
   * A candidate provider for `plan()`: the inner provider's choice (retrieval's top k, say; default every
   * action) filtered and narrowed by these guards at each node of the search.
   */
  candidates(inner: CandidateProvider = allActions): CandidateProvider {
    return async (context) => {
      const from = await inner(context);
      return this.allowedCandidates({ observation: context.state.observation, trajectory: context.state.trajectory }, context.actions, from);
    };
  }

  /** How every guard would judge a concrete call at this point, without running it or asking anyone. */
  check(action: AnyAction, input: unknown, view: GuardView = {}): CallCheck {
    const result: CallCheck = { allowed: true, needsApproval: false };
    const stage = this.stageAt(view);
    if (stage !== undefined && this.stages !== undefined) {
      const decision = this.stages.decide(stage, action);
      result.stage = { name: stage, ...decision };
      if (!decision.allowed) result.allowed = false;
    }
    const masked = checkMasks(action, input, view.observation, this.masks);
    result.mask = masked === undefined ? { ok: true } : { ok: false, error: masked };
    if (masked !== undefined) result.allowed = false;
    if (this.policy !== undefined) {
      result.policy = this.policy.decide({ action: action.name, effect: action.effect, source: action.source, input });
      if (result.policy.decision === 'deny') result.allowed = false;
      if (result.policy.decision === 'ask') result.needsApproval = true;
    }
    return result;
  }
}

/** Declares the guards of a deployment (see GuardSet). */
export function createGuards(options: GuardsOptions = {}): GuardSet {
  return new GuardSet(options);
}

/** The candidates allowed at a point: `guards.allowedCandidates(view, actions, from)`. */
export function allowedCandidates(view: GuardView, actions: ActionSpace, guards: GuardSet, from?: readonly CandidateAction[]): CandidateAction[] {
  return guards.allowedCandidates(view, actions, from);
}
