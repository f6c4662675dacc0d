import { ActionSpace, defineAction, type AnyAction } from '../actions/index.js';
import type { Environment } from '../environments/index.js';
import { SearchDivergedError, UsageError } from '../errors/index.js';
import { approveAll, denyIrreversible, Executor, type ApprovalDecision, type ApprovalPolicy, type ExecuteOptions, type Guard, type Run, type StepResult } from '../execution/index.js';
import type { JsonObject, JsonValue } from '../internal/json.js';
import type { StepRecord, Store } from '../provenance/index.js';
import { lap, mark, type Lap } from './budget.js';
import type { SearchNode } from './tree.js';

export interface StateKeeperOptions {
  store: Store;
  environment: Environment;
  /** Fresh copies of the environment, to rebuild a state when it has no snapshot/restore. */
  createEnvironment?: () => Environment | Promise<Environment>;
  taskId: string | undefined;
  approval?: ApprovalPolicy;
  guards?: Guard[];
  onStep?: (step: StepResult) => void;
  run: { id?: string; task: string; environment: string; metadata: JsonObject; replayOf?: readonly StepRecord[] };
}

export interface ExecutedStep {
  result: StepResult;
  /** Every step the call recorded: the call, its retries and its nested calls. */
  steps: StepRecord[];
  /** Time spent executing. */
  time: Lap;
}

/**
 * Puts the environment in the state of any node of the search and executes steps from there, recording
 * each in the search's run with its parent step set to the node's step (so the run's DAG is the tree).
 * With `snapshot`/`restore` it moves between nodes directly; otherwise it rebuilds a node's state in a
 * fresh copy by re-executing the recorded path from the root, unrecorded, feeding back the recorded
 * nondeterminism and checking that every output matches (verify).
 */
export class StateKeeper {
  readonly mode: 'snapshot' | 'rebuild';
  readonly run: Run;
  readonly #options: StateKeeperOptions;
  #current: SearchNode | undefined;
  /** Copies made for rebuilding, closed at the end (the caller's environment is never closed here). */
  readonly #copies = new Set<Environment>();
  #produced: StepRecord[] = [];
  #gate: { committing: boolean } = { committing: false };
  /** Time spent re-executing steps to rebuild states (executor work, not planner overhead). */
  readonly rebuildTime: Lap = { wallMs: 0 };

  private constructor(options: StateKeeperOptions, mode: 'snapshot' | 'rebuild', run: Run, environmentRef: { current: Environment }) {
    this.#options = options;
    this.mode = mode;
    this.run = run;
    this.#ref = environmentRef;
  }

  readonly #ref: { current: Environment };

  static async open(options: StateKeeperOptions): Promise<StateKeeper> {
    const environment = options.environment;
    const canSnapshot = typeof environment.snapshot === 'function' && typeof environment.restore === 'function';
    if (!canSnapshot && options.createEnvironment === undefined) {
      throw new UsageError(
        `Environment "${environment.name}" has no snapshot/restore, and no way to make fresh copies was given`,
        'Implement snapshot() and restore() on the environment, or pass createEnvironment so states can be rebuilt by re-executing the path.',
        { environment: environment.name },
      );
    }
    const mode = canSnapshot ? 'snapshot' : 'rebuild';
    const ref = { current: environment };
    const keeperRef = { committing: false };
    const produced: StepRecord[] = [];
    const executor = new Executor({
      store: options.store,
      actions: mode === 'snapshot' ? environment.actions : lateBound(environment.actions, ref),
      observe: () => ref.current.observe(),
      // Irreversible steps run only inside a commit (with the caller's approval); while exploring, even one
      // called from inside a reversible action is blocked, so nothing irreversible happens speculatively.
      approval: (request) => (keeperRef.committing ? (options.approval ?? denyIrreversible)(request) : SPECULATIVE_REFUSAL),
      ...(options.guards === undefined ? {} : { guards: options.guards }),
      onEvent: (event) => {
        if (event.type !== 'step-end') return;
        produced.push(event.result.step);
        options.onStep?.(event.result);
      },
    });
    const run = await executor.startRun({ ...options.run, stopOnBlocked: false });
    const keeper = new StateKeeper(options, mode, run, ref);
    keeper.#produced = produced;
    keeper.#gate = keeperRef;
    return keeper;
  }

  /** The environment as it is now (a rebuilt copy after a rebuild). */
  get environment(): Environment {
    return this.#ref.current;
  }

  observe(): JsonValue {
    return this.#ref.current.observe();
  }

  snapshot(): JsonValue | undefined {
    return this.mode === 'snapshot' ? this.#ref.current.snapshot?.() : undefined;
  }

  /** Declares that the environment is in `node`'s state (the root, at the start). */
  settle(node: SearchNode): void {
    this.#current = node;
  }

  /** Puts the environment in `node`'s state. */
  async moveTo(node: SearchNode): Promise<void> {
    if (this.#current === node) return;
    if (this.mode === 'snapshot') {
      this.#restore(node);
      return;
    }
    const started = mark();
    try {
      await this.#rebuild(node);
    } finally {
      this.rebuildTime.wallMs += lap(started).wallMs;
    }
    this.#current = node;
  }

  #restore(node: SearchNode): void {
    if (node.snapshot === undefined) throw new SearchDivergedError(`Search node ${node.id} has no snapshot to restore`, { node: node.id });
    this.#ref.current.restore?.(node.snapshot);
    this.#current = node;
  }

  /**
   * Executes `child`'s action from its parent's state, recording the step under the parent's step. Only a
   * `commit` may run an irreversible action (asking the approval policy); otherwise the executor blocks it.
   */
  async execute(child: SearchNode, signal: AbortSignal | undefined, commit = false): Promise<ExecutedStep> {
    const parent = child.parent;
    if (parent === undefined || child.action === null) throw new UsageError('The root of a search has no step to execute');
    // Synchronous when no rebuild is needed (every step of a snapshot search): no await hop per step.
    if (this.#current !== parent) {
      if (this.mode === 'snapshot') this.#restore(parent);
      else await this.moveTo(parent);
    }
    const from = this.#produced.length;
    const started = mark();
    this.#gate.committing = commit;
    let result: StepResult;
    try {
      const options: ExecuteOptions = { parentStepId: parent.stepId };
      if (signal !== undefined) options.signal = signal;
      result = await this.run.execute(child.action, child.input, options);
    } finally {
      this.#gate.committing = false;
    }
    const time = lap(started);
    const steps = this.#produced.splice(from);
    this.#current = child;
    return { result, steps, time };
  }

  async close(): Promise<void> {
    for (const copy of this.#copies) if (copy !== this.#ref.current) await copy.close?.();
    this.#copies.clear();
  }

  async #rebuild(node: SearchNode): Promise<void> {
    const path: SearchNode[] = [];
    for (let current: SearchNode | undefined = node; current !== undefined; current = current.parent) path.push(current);
    path.reverse();
    let start = 0;
    let environment: Environment;
    const current = this.#current;
    const index = current === undefined ? -1 : path.indexOf(current);
    if (index >= 0) {
      // The environment is at an ancestor: only the rest of the path needs re-executing.
      environment = this.#ref.current;
      start = index + 1;
    } else {
      const create = this.#options.createEnvironment;
      if (create === undefined) throw new UsageError('Rebuilding a state needs createEnvironment');
      environment = await create();
      this.#copies.add(environment);
      if (this.#options.taskId !== undefined) await environment.startTask?.(this.#options.taskId);
      start = 1;
    }
    const suffix = path.slice(start);
    const replayOf = suffix.flatMap((step) => step.steps);
    const executor = new Executor({
      store: this.#options.store,
      actions: environment.actions,
      observe: () => environment.observe(),
      // Irreversible steps on the path were committed (and approved) already; here they act on a copy.
      approval: approveAll,
    });
    const rebuildRun = await executor.startRun({ record: false, replayOf, stopOnBlocked: false });
    for (const step of suffix) {
      const recorded = finalTopLevel(step.steps);
      if (recorded === undefined || step.action === null) throw new SearchDivergedError(`Search node ${step.id} has no recorded step to rebuild from`, { node: step.id });
      rebuildRun.reserveSeq(step.steps[0]?.seq ?? recorded.seq);
      const result = await rebuildRun.execute(step.action, step.input);
      if (result.status !== recorded.status || result.step.outputHash !== recorded.outputHash) {
        throw new SearchDivergedError(`Rebuilding the state of search node ${node.id} diverged at step ${recorded.id} (${step.action})`, {
          node: node.id,
          stepId: recorded.id,
          expected: { status: recorded.status, outputHash: recorded.outputHash },
          actual: { status: result.status, outputHash: result.step.outputHash },
        });
      }
    }
    if (environment !== this.#ref.current) {
      const previous = this.#ref.current;
      this.#ref.current = environment;
      if (this.#copies.has(previous)) {
        this.#copies.delete(previous);
        await previous.close?.();
      }
    }
  }
}

const SPECULATIVE_REFUSAL: ApprovalDecision = {
  approved: false,
  by: 'search',
  reason: 'irreversible actions are taken only when the search commits to them, never while it explores',
};

/** The last top-level attempt of a call: the outcome the call had. */
function finalTopLevel(steps: readonly StepRecord[]): StepRecord | undefined {
  let last: StepRecord | undefined;
  for (const step of steps) if (step.depth === 0) last = step;
  return last;
}

/**
 * The actions of a space, each delegating (run and preconditions) to the same-named action of whichever
 * environment copy is current, so one recorded run can go on in a rebuilt copy.
 */
function lateBound(space: ActionSpace, ref: { current: Environment }): ActionSpace {
  const target = (name: string): AnyAction => ref.current.actions.get(name);
  return new ActionSpace(
    [...space].map((action) =>
      defineAction<unknown, unknown>({
        name: action.name,
        description: action.description,
        input: action.input,
        ...(action.output === undefined ? {} : { output: action.output }),
        effect: action.effect,
        cost: action.cost,
        tags: [...action.tags],
        ...(action.group === undefined ? {} : { group: action.group }),
        source: action.source,
        preconditions: action.preconditions.map((precondition, index) => ({
          name: precondition.name,
          ...(precondition.description === undefined ? {} : { description: precondition.description }),
          check: (input, context) => {
            const delegate = target(action.name).preconditions[index];
            return delegate === undefined ? true : delegate.check(input, context);
          },
        })),
        ...(action.stages === undefined ? {} : { stages: [...action.stages] }),
        reversible: action.reversible,
        ...(action.inverse === undefined ? {} : { inverse: action.inverse }),
        idempotent: action.idempotent,
        ...(action.timeoutMs === undefined ? {} : { timeoutMs: action.timeoutMs }),
        ...(action.retry === undefined ? {} : { retry: action.retry }),
        run: (input, context) => target(action.name).run(input, context),
      }),
    ),
  );
}
