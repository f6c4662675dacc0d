import { z } from 'zod';
import type { AnyAction } from '../actions/index.js';
import { InvalidDefinitionError } from '../errors/index.js';
import type { JsonValue } from '../internal/json.js';
import { matchesPattern, type NamePattern } from './patterns.js';
import { zodIssues } from './zod-issues.js';
import { safeParse } from '../internal/safe-parse.js';

const functionSchema = z.custom<(...args: never[]) => unknown>((value) => typeof value === 'function', { message: 'must be a function' });
const namesSchema = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]);
/** The shape of a definition given in code (the config file's form, plus functions). */
const definitionSchema = z.object({
  name: z.string().min(1).optional(),
  initial: z.string().min(1),
  stages: z.record(
    z.string().min(1),
    z.object({ description: z.string().optional(), allow: z.array(z.string().min(1)).optional(), deny: z.array(z.string().min(1)).optional() }),
  ),
  transitions: z.array(z.object({ from: namesSchema, on: namesSchema, to: z.string().min(1), when: functionSchema.optional() })).optional(),
  stageOf: functionSchema.optional(),
});

/** One stage of a process: which actions may run in it. */
export interface StageDefinition {
  description?: string;
  /** Actions allowed in this stage (name patterns). Omitted: every action (subject to `deny` and the action's own `stages`). */
  allow?: readonly NamePattern[];
  /** Actions never allowed in this stage, even when `allow` names them. */
  deny?: readonly NamePattern[];
}

/** What a transition's `when` sees of the successful call that may cause it. */
export interface TransitionCall {
  action: string;
  input: JsonValue;
  output: JsonValue | undefined;
}

/** A move to another stage, caused by a successful call of a matching action in a `from` stage. */
export interface StageTransition {
  /** The stages it leaves from; `'*'` for any. */
  from: string | readonly string[];
  /** The action (name pattern) whose success causes it. */
  on: NamePattern | readonly NamePattern[];
  to: string;
  /** In code only: a further condition on the call (its input or output). */
  when?: (call: TransitionCall) => boolean;
}

export interface StageMachineDefinition {
  /** Names the machine in records and messages. Default `stages`. */
  name?: string;
  initial: string;
  stages: Readonly<Record<string, StageDefinition>>;
  /** Tried in order after each successful call; the first that matches moves the stage. */
  transitions?: readonly StageTransition[];
  /**
   * Reads the stage from the environment's state instead of following transitions (when the state already
   * says where the process is, an order's status say). Robust to backtracking and to resumed runs.
   */
  stageOf?: (state: unknown) => string;
}

/** Why an action is or is not allowed in a stage. */
export interface StageDecision {
  allowed: boolean;
  reason: string;
}

/** The part of an action a stage decision needs. */
export type StagedAction = Pick<AnyAction, 'name'> & { stages?: readonly string[] | undefined };

/** A step of a path, as far as transitions care. */
export interface StagePathStep {
  action: string;
  input: JsonValue;
  status: string;
  output?: JsonValue;
}

/**
 * A process's stages, the actions allowed in each and the transitions that successful actions cause. An
 * action may run in stage S only if every declaration agrees: S's `allow` list (when it has one) names it,
 * S's `deny` list does not, and the action's own `stages` (when it declares them) include S.
 */
export class StageMachine {
  readonly name: string;
  readonly initial: string;
  readonly stages: Readonly<Record<string, StageDefinition>>;
  readonly transitions: readonly StageTransition[];
  readonly stageOf: ((state: unknown) => string) | undefined;

  constructor(input: StageMachineDefinition) {
    const parsed = safeParse(definitionSchema, input);
    if (!parsed.success) {
      const issues = zodIssues(parsed.error);
      throw new InvalidDefinitionError(`Invalid stage machine: ${issues.slice(0, 3).map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ')}`, {
        hint: 'A stage machine is { initial, stages: { name: { allow?, deny? } }, transitions?: [{ from, on, to }] }; see README "Guards".',
        data: { issues },
      });
    }
    const definition = parsed.data as StageMachineDefinition;
    const name = definition.name ?? 'stages';
    const stages = definition.stages;
    if (Object.keys(stages).length === 0) {
      throw new InvalidDefinitionError(`Stage machine "${name}" declares no stages`, { hint: 'Give stages as { stageName: { allow: [...] } }.' });
    }
    const known = new Set(Object.keys(stages));
    const unknown = (stage: string, where: string) =>
      new InvalidDefinitionError(`Stage machine "${name}": ${where} names stage "${stage}", which is not declared`, {
        hint: `Declared stages: ${[...known].join(', ')}.`,
        data: { machine: name, stage, where },
      });
    if (!known.has(definition.initial)) throw unknown(definition.initial, 'initial');
    const transitions = definition.transitions ?? [];
    for (const [index, transition] of transitions.entries()) {
      const from = typeof transition.from === 'string' ? [transition.from] : transition.from;
      for (const stage of from) if (stage !== '*' && !known.has(stage)) throw unknown(stage, `transitions[${index}].from`);
      if (!known.has(transition.to)) throw unknown(transition.to, `transitions[${index}].to`);
      const on = typeof transition.on === 'string' ? [transition.on] : transition.on;
      if (on.length === 0) throw new InvalidDefinitionError(`Stage machine "${name}": transitions[${index}].on names no action`, { data: { machine: name, index } });
    }
    this.name = name;
    this.initial = definition.initial;
    this.stages = Object.freeze(Object.fromEntries(Object.entries(stages).map(([key, stage]) => [key, Object.freeze({ ...stage })])));
    this.transitions = Object.freeze(transitions.map((transition) => Object.freeze({ ...transition })));
    this.stageOf = definition.stageOf;
  }

  has(stage: string): boolean {
    return Object.hasOwn(this.stages, stage);
  }

  /** Whether the action may run in the stage, and why (or why not). */
  decide(stage: string, action: StagedAction): StageDecision {
    if (!this.has(stage)) return { allowed: false, reason: `"${stage}" is not a stage of ${this.name}` };
    const definition = this.stages[stage] as StageDefinition;
    if (definition.deny !== undefined && matchesPattern(definition.deny, action.name)) {
      return { allowed: false, reason: `stage "${stage}" denies it` };
    }
    if (definition.allow !== undefined && !matchesPattern(definition.allow, action.name)) {
      return { allowed: false, reason: `stage "${stage}" does not list it` };
    }
    if (action.stages !== undefined && !action.stages.includes(stage)) {
      return { allowed: false, reason: `the action runs only in ${action.stages.length === 0 ? 'no stage' : `stages ${action.stages.join(', ')}`}` };
    }
    return { allowed: true, reason: definition.allow === undefined ? `stage "${stage}" allows every action` : `stage "${stage}" lists it` };
  }

  allows(stage: string, action: StagedAction): boolean {
    return this.decide(stage, action).allowed;
  }

  /** The stage after a successful call in `stage` (the same stage when no transition matches). */
  next(stage: string, call: TransitionCall): string {
    for (const transition of this.transitions) {
      const from = typeof transition.from === 'string' ? [transition.from] : transition.from;
      if (!from.includes('*') && !from.includes(stage)) continue;
      if (!matchesPattern(transition.on, call.action)) continue;
      if (transition.when !== undefined && !transition.when(call)) continue;
      return transition.to;
    }
    return stage;
  }

  /** The stage at the end of a path of steps from the initial stage (only successful steps move it). */
  stageAfter(path: readonly StagePathStep[], from: string = this.initial): string {
    let stage = from;
    for (const step of path) {
      if (step.status === 'ok') stage = this.next(stage, { action: step.action, input: step.input, output: step.output });
    }
    return stage;
  }

  /** The stage at a point of a search or run: from the state when the machine reads it there, else from the path. */
  stageAt(view: { observation?: unknown; trajectory?: readonly StagePathStep[] }): string {
    if (this.stageOf !== undefined) return this.stageOf(view.observation);
    return this.stageAfter(view.trajectory ?? []);
  }

  /** Names of the stages reachable from `stage` in one transition. */
  successors(stage: string): string[] {
    const next = new Set<string>();
    for (const transition of this.transitions) {
      const from = typeof transition.from === 'string' ? [transition.from] : transition.from;
      if (from.includes('*') || from.includes(stage)) next.add(transition.to);
    }
    return [...next];
  }
}

/** Declares a stage machine; throws InvalidDefinitionError when it names undeclared stages. */
export function defineStages(definition: StageMachineDefinition): StageMachine {
  return new StageMachine(definition);
}
