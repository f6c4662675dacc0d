import { performance } from 'node:perf_hooks';
import { ulid } from 'ulid';
import type { ActionContext, ActionSpace, AnyAction, PreconditionResult } from '../actions/index.js';
import { validateWith } from '../actions/index.js';
import {
  ActionFailedError,
  ActionTimeoutError,
  ApprovalRequiredError,
  ArborError,
  CancelledError,
  GuardFailedError,
  InvalidInputError,
  InvalidOutputError,
  NotFoundError,
  PostconditionFailedError,
  PreconditionFailedError,
  RunClosedError,
} from '../errors/index.js';
import type { JsonObject, JsonValue } from '../internal/json.js';
import {
  hashJson,
  stepIdOf,
  type HashedJson,
  type RunRecord,
  type RunStatus,
  type StepRecord,
  type StepStatus,
  type StepWrite,
  type Store,
} from '../provenance/index.js';
import { denyIrreversible, normalizeDecision, type ApprovalPolicy } from './approval.js';
import type { Guard, GuardCall, GuardVerdict } from './guard.js';
import { NondeterminismLog, systemEntropy, type EntropySources } from './nondeterminism.js';
import type { StepResult } from './step-result.js';

export type ExecutorEvent =
  | { type: 'run-start'; run: RunRecord }
  | { type: 'step-start'; runId: string; stepId: string; seq: number; action: string; depth: number }
  | { type: 'step-end'; result: StepResult }
  | { type: 'run-end'; run: RunRecord };

export interface ExecutorOptions {
  store: Store;
  actions: ActionSpace;
  /** Decides irreversible actions. Default: block them all. */
  approval?: ApprovalPolicy;
  /** The environment's current observation, handed to preconditions, guards and `ctx.state`. */
  observe?: () => unknown;
  guards?: Guard[];
  /** Sources of live nondeterminism (tests inject seeded ones). Default: Date.now and Math.random. */
  entropy?: EntropySources;
  /** Time limit for actions that declare none. Default: none. */
  defaultTimeoutMs?: number;
  /**
   * The environment's complete state (`environment.snapshot()`), taken after every top-level step and
   * recorded with it as `metadata.checkpoint`, in the same write. A run resumed in another process (a
   * worker that took over a job) restores the world from it instead of executing anything again.
   */
  checkpoint?: () => JsonValue | undefined;
  onEvent?: (event: ExecutorEvent) => void;
}

export interface StartRunOptions {
  /**
   * The run's id (a ULID) instead of a new one. A job queue chooses ids when it enqueues, so that a retried
   * job finds the run it started. Creating a run whose id exists fails.
   */
  id?: string;
  task?: string;
  /** Name of the environment, so replay and fork can build a fresh one. */
  environment?: string;
  metadata?: JsonObject;
  /** End the run as `blocked` as soon as a top-level step is blocked. Default true. */
  stopOnBlocked?: boolean;
  /** Write steps to the store. False executes without recording (used to rebuild a state). Default true. */
  record?: boolean;
  /** Feed back the recorded nondeterminism of these steps, matched by seq (verify replay). */
  replayOf?: readonly StepRecord[];
  /** Make the new run a fork sharing the parent's steps with seq < forkSeq. */
  fork?: { parentRunId: string; forkSeq: number; headStepId: string | null };
}

export interface ExecuteOptions {
  /** The step whose resulting state this call acts on. Default: the run's head (its last successful top-level step). */
  parentStepId?: string | null;
  signal?: AbortSignal;
  timeoutMs?: number;
  metadata?: JsonObject;
}

interface InternalExecuteOptions extends ExecuteOptions {
  depth?: number;
}

const NEVER_ABORTED = new AbortController().signal;
// A failed postcondition means the action ran: retrying would repeat its effect.
const NOT_RETRIED = new Set(['ARBOR_INVALID_INPUT', 'ARBOR_APPROVAL_REQUIRED', 'ARBOR_PRECONDITION_FAILED', 'ARBOR_POSTCONDITION_FAILED', 'ARBOR_CANCELLED']);

/**
 * Runs actions and records every call as a step in the provenance store: validated input, output,
 * status, timings and the nondeterminism the action drew, so the run can be replayed and audited.
 */
export class Executor {
  readonly store: Store;
  readonly actions: ActionSpace;
  readonly options: Readonly<ExecutorOptions>;

  constructor(options: ExecutorOptions) {
    this.store = options.store;
    this.actions = options.actions;
    this.options = options;
  }

  async startRun(options: StartRunOptions = {}): Promise<Run> {
    const record: RunRecord = {
      id: options.id ?? ulid(),
      status: 'running',
      task: options.task ?? null,
      environment: options.environment ?? null,
      parentRunId: options.fork?.parentRunId ?? null,
      forkSeq: options.fork?.forkSeq ?? null,
      createdAt: Date.now(),
      endedAt: null,
      metadata: options.metadata ?? {},
    };
    const persist = options.record ?? true;
    if (persist) await this.store.createRun(record);
    this.options.onEvent?.({ type: 'run-start', run: record });
    return new Run(this, record, {
      persist,
      stopOnBlocked: options.stopOnBlocked ?? true,
      nextSeq: options.fork?.forkSeq ?? 0,
      head: options.fork?.headStepId ?? null,
      replayOf: options.replayOf,
    });
  }

  /** Continues a recorded run that is still `running` (after a crash, say) from its last committed step. */
  async resumeRun(runId: string, options: { stopOnBlocked?: boolean } = {}): Promise<Run> {
    const record = await this.store.getRun(runId);
    if (record === undefined) throw new NotFoundError('run', runId);
    if (record.status !== 'running') throw new RunClosedError(runId, record.status);
    const steps = await this.store.listSteps(runId);
    const head = [...steps].reverse().find((step) => step.depth === 0 && step.status === 'ok');
    return new Run(this, record, {
      persist: true,
      stopOnBlocked: options.stopOnBlocked ?? true,
      nextSeq: await this.store.nextSeq(runId, record.forkSeq ?? 0),
      head: head?.id ?? null,
      replayOf: undefined,
    });
  }
}

interface RunState {
  persist: boolean;
  stopOnBlocked: boolean;
  nextSeq: number;
  head: string | null;
  replayOf: readonly StepRecord[] | undefined;
}

/** One run: a sequence (DAG) of recorded steps. Create it with `executor.startRun()`. */
export class Run {
  readonly executor: Executor;
  #record: RunRecord;
  #state: RunState;
  readonly #replayBySeq: Map<number, StepRecord> | undefined;

  constructor(executor: Executor, record: RunRecord, state: RunState) {
    this.executor = executor;
    this.#record = record;
    this.#state = state;
    this.#replayBySeq = state.replayOf === undefined ? undefined : new Map(state.replayOf.map((step) => [step.seq, step]));
  }

  get id(): string {
    return this.#record.id;
  }

  get status(): RunStatus {
    return this.#record.status;
  }

  get record(): RunRecord {
    return this.#record;
  }

  /** The last successful top-level step: the step whose state the next call acts on by default. */
  get head(): string | null {
    return this.#state.head;
  }

  /** Moves the head, to continue from another branch of the run's DAG (planners backtrack this way). */
  setHead(stepId: string | null): void {
    this.#state.head = stepId;
  }

  /** The seq the next step will get. */
  get nextSeq(): number {
    return this.#state.nextSeq;
  }

  /** Skips seq numbers up to `seq`, keeping a replay aligned with its recording when a step is not re-run. */
  reserveSeq(seq: number): void {
    this.#state.nextSeq = Math.max(this.#state.nextSeq, seq);
  }

  /** Executes an action and records the step; never throws for the action's own failures (see `call`). */
  async execute(actionName: string, input: unknown, options: ExecuteOptions = {}): Promise<StepResult> {
    return this.#execute(actionName, input, options);
  }

  /** Executes an action and returns its output, throwing the step's typed error when it did not succeed. */
  async call(actionName: string, input: unknown, options: ExecuteOptions = {}): Promise<unknown> {
    const result = await this.#execute(actionName, input, options);
    if (!result.ok) throw result.error;
    return result.output;
  }

  /** Ends the run. Further steps are refused. */
  async end(status: Exclude<RunStatus, 'running'> = 'succeeded', metadata?: JsonObject): Promise<RunRecord> {
    if (this.#record.status !== 'running') return this.#record;
    const endedAt = Date.now();
    const merged = metadata === undefined ? this.#record.metadata : { ...this.#record.metadata, ...metadata };
    this.#record = { ...this.#record, status, endedAt, metadata: merged };
    if (this.#state.persist) await this.executor.store.updateRun(this.id, { status, endedAt, metadata: merged });
    this.executor.options.onEvent?.({ type: 'run-end', run: this.#record });
    return this.#record;
  }

  async #execute(actionName: string, input: unknown, options: InternalExecuteOptions): Promise<StepResult> {
    if (this.#record.status !== 'running') throw new RunClosedError(this.id, this.#record.status);
    const action = this.executor.actions.get(actionName);
    const depth = options.depth ?? 0;
    const parentStepId = options.parentStepId !== undefined ? options.parentStepId : this.#state.head;
    const maxAttempts = action.retry?.maxAttempts ?? 1;
    let result: StepResult;
    for (let attempt = 1; ; attempt++) {
      result = await this.#attempt(action, input, attempt, parentStepId, depth, options);
      if (result.ok || attempt >= maxAttempts || !isRetryable(action, result)) break;
      const backoff = (action.retry?.backoffMs ?? 0) * 2 ** (attempt - 1);
      if (backoff > 0) await new Promise((resolve) => setTimeout(resolve, backoff));
    }
    if (depth === 0 && result.ok) this.#state.head = result.step.id;
    if (depth === 0 && result.status === 'blocked' && this.#state.stopOnBlocked) await this.end('blocked');
    return result;
  }

  async #attempt(
    action: AnyAction,
    rawInput: unknown,
    attempt: number,
    parentStepId: string | null,
    depth: number,
    options: InternalExecuteOptions,
  ): Promise<StepResult> {
    const executor = this.executor;
    const seq = this.#state.nextSeq++;
    const stepId = stepIdOf(this.id, seq);
    const startedAt = Date.now();
    const started = performance.now();
    const recorded = this.#replayBySeq?.get(seq);
    const log = new NondeterminismLog(
      action.name,
      executor.options.entropy ?? systemEntropy,
      this.#replayBySeq === undefined ? undefined : (recorded?.nondeterminism ?? []),
    );
    const metadata: JsonObject = { ...options.metadata };
    // Record where the action came from unless it is plain TypeScript: the MCP server, the document, or
    // for a generated action the version and the run that created it.
    if (action.source.kind !== 'typescript') metadata.source = JSON.parse(JSON.stringify(action.source)) as JsonObject;
    const inputHashed = hashInput(rawInput);
    let intentWritten = false;
    executor.options.onEvent?.({ type: 'step-start', runId: this.id, stepId, seq, action: action.name, depth });

    const finish = async (status: StepStatus, output: HashedJson | null, error: ArborError | null): Promise<StepResult> => {
      if (depth === 0 && executor.options.checkpoint !== undefined) {
        const checkpoint = executor.options.checkpoint();
        if (checkpoint !== undefined) metadata.checkpoint = checkpoint;
      }
      const write: StepWrite = {
        id: stepId,
        runId: this.id,
        seq,
        parentStepId,
        depth,
        kind: 'action',
        action: action.name,
        effect: action.effect,
        inputJson: inputHashed.json,
        inputHash: inputHashed.hash,
        outputJson: output?.json ?? null,
        outputHash: output?.hash ?? null,
        status,
        error: error?.toJSON() ?? null,
        startedAt,
        endedAt: Date.now(),
        durationUs: Math.round((performance.now() - started) * 1000),
        attempt,
        nondeterminism: log.values,
        metadata,
      };
      if (this.#state.persist) {
        if (intentWritten) await executor.store.completeStep(write);
        else await executor.store.insertStep(write);
      }
      const parsedOutput = output === null ? undefined : (JSON.parse(output.json) as JsonValue);
      const result: StepResult = {
        ok: status === 'ok',
        status,
        output: status === 'ok' ? parsedOutput : undefined,
        error,
        step: { ...withoutJson(write), input: JSON.parse(inputHashed.json) as JsonValue, output: parsedOutput },
      };
      executor.options.onEvent?.({ type: 'step-end', result });
      return result;
    };

    if (inputHashed.error !== undefined) {
      return finish('failed', null, new InvalidInputError(action.name, [{ path: [], message: inputHashed.error }]));
    }
    const validation = validateWith(action.input, rawInput);
    if (!validation.ok) return finish('failed', null, new InvalidInputError(action.name, validation.issues));
    const input = validation.value;
    const state = executor.options.observe?.();
    const guardCall: GuardCall = { runId: this.id, stepId, parentStepId, depth, action, input, state };

    for (const precondition of action.preconditions) {
      let verdict: { ok: boolean; reason?: string; observed?: JsonValue };
      try {
        verdict = normalizePrecondition(await precondition.check(input, { state }));
      } catch (error) {
        verdict = { ok: false, reason: `the check threw: ${error instanceof Error ? error.message : String(error)}` };
      }
      if (!verdict.ok) {
        metadata.precondition = { name: precondition.name, reason: verdict.reason ?? 'it does not hold', ...(verdict.observed === undefined ? {} : { observed: verdict.observed }) };
        return finish('blocked', null, new PreconditionFailedError(action.name, precondition.name, verdict.reason ?? 'it does not hold', verdict.observed));
      }
    }

    const guardNotes: JsonObject = {};
    for (const guard of executor.options.guards ?? []) {
      if (guard.before === undefined) continue;
      let verdict: GuardVerdict;
      try {
        verdict = await guard.before(guardCall);
      } catch (error) {
        verdict = guardFailure(guard.name, action.name, error);
      }
      if (!verdict.allow) {
        metadata.guards = { ...guardNotes, [guard.name]: { allow: false, code: verdict.code, reason: verdict.reason, ...(verdict.data ?? {}) } };
        return finish('blocked', null, verdict.error ?? new ArborError(verdict.code, `Action "${action.name}" was blocked by ${guard.name}: ${verdict.reason}`, { data: { guard: guard.name, ...verdict.data } }));
      }
      if (verdict.note !== undefined) guardNotes[guard.name] = verdict.note;
    }
    if (Object.keys(guardNotes).length > 0) metadata.guards = guardNotes;

    if (action.effect === 'irreversible') {
      const policy = executor.options.approval ?? denyIrreversible;
      let decision: { approved: boolean; by: string; reason?: string };
      try {
        decision = normalizeDecision(
          await policy({ runId: this.id, stepId, action: action.name, description: action.description, effect: action.effect, input: JSON.parse(inputHashed.json) as JsonValue }),
        );
      } catch (error) {
        decision = { approved: false, by: 'policy', reason: `the approval policy threw: ${error instanceof Error ? error.message : String(error)}` };
      }
      metadata.approval = decision;
      if (!decision.approved) return finish('blocked', null, new ApprovalRequiredError(action.name, decision.reason));
      if (this.#state.persist) {
        // Write-ahead intent: if the process dies while the effect happens, the step stays `running`
        // (in doubt) instead of vanishing, and nothing re-executes it automatically.
        await executor.store.insertStep({
          id: stepId, runId: this.id, seq, parentStepId, depth, kind: 'action', action: action.name, effect: action.effect,
          inputJson: inputHashed.json, inputHash: inputHashed.hash, outputJson: null, outputHash: null, status: 'running',
          error: null, startedAt, endedAt: null, durationUs: null, attempt, nondeterminism: [], metadata,
        });
        intentWritten = true;
      }
    }

    let rawOutput: unknown;
    try {
      rawOutput = await this.#runWithLimits(action, input, stepId, attempt, depth, state, log, options);
    } catch (error) {
      const failure = classifyFailure(action, error);
      return finish(failure.status, null, failure.error);
    }

    let output: unknown = rawOutput;
    if (action.output !== undefined) {
      const checked = validateWith(action.output, rawOutput);
      if (!checked.ok) return finish('failed', tryHash(rawOutput), new InvalidOutputError(action.name, checked.issues));
      output = checked.value;
    }
    const outputHashed = tryHash(output);
    if (outputHashed === null) {
      return finish('failed', null, new InvalidOutputError(action.name, [{ path: [], message: 'the output is not JSON-serializable' }]));
    }
    const outputJson = JSON.parse(outputHashed.json) as JsonValue;
    if (action.postconditions.length > 0) {
      const stateAfter = executor.options.observe?.();
      for (const postcondition of action.postconditions) {
        let verdict: { ok: boolean; reason?: string; observed?: JsonValue };
        try {
          verdict = normalizePrecondition(await postcondition.check(input, output, { state: stateAfter, stateBefore: state }));
        } catch (error) {
          verdict = { ok: false, reason: `the check threw: ${error instanceof Error ? error.message : String(error)}` };
        }
        if (!verdict.ok) {
          const reason = verdict.reason ?? 'it does not hold';
          metadata.postcondition = { name: postcondition.name, reason, ...(verdict.observed === undefined ? {} : { observed: verdict.observed }) };
          return finish('failed', outputHashed, new PostconditionFailedError(action.name, postcondition.name, reason, verdict.observed));
        }
      }
    }
    for (const guard of executor.options.guards ?? []) {
      if (guard.after === undefined) continue;
      let verdict: GuardVerdict;
      try {
        verdict = await guard.after({ ...guardCall, output: outputJson });
      } catch (error) {
        verdict = guardFailure(guard.name, action.name, error);
      }
      const notes = (metadata.guards as JsonObject | undefined) ?? {};
      if (!verdict.allow) {
        metadata.guards = { ...notes, [guard.name]: { allow: false, code: verdict.code, reason: verdict.reason, ...(verdict.data ?? {}) } };
        return finish('failed', outputHashed, verdict.error ?? new ArborError(verdict.code, `Action "${action.name}" failed ${guard.name}: ${verdict.reason}`, { data: { guard: guard.name, ...verdict.data } }));
      }
      if (verdict.note !== undefined) metadata.guards = { ...notes, [guard.name]: { ...((notes[guard.name] as JsonObject | undefined) ?? {}), ...verdict.note } };
    }
    const result = await finish('ok', outputHashed, null);
    for (const guard of executor.options.guards ?? []) await guard.commit?.({ ...guardCall, output: outputJson });
    return result;
  }

  async #runWithLimits(
    action: AnyAction,
    input: unknown,
    stepId: string,
    attempt: number,
    depth: number,
    state: unknown,
    log: NondeterminismLog,
    options: InternalExecuteOptions,
  ): Promise<unknown> {
    const timeoutMs = options.timeoutMs ?? action.timeoutMs ?? this.executor.options.defaultTimeoutMs;
    const outer = options.signal;
    const makeContext = (signal: AbortSignal): ActionContext => ({
      runId: this.id,
      stepId,
      attempt,
      signal,
      state,
      now: () => log.now(),
      random: () => log.random(),
      record: (key, fn) => log.record(key, fn),
      call: async (name, nestedInput) => {
        // A signal that can never abort adds nothing but the cost of watching it: pass it on only when live.
        const nested = await this.#execute(name, nestedInput, {
          parentStepId: stepId,
          depth: depth + 1,
          ...(signal === NEVER_ABORTED ? {} : { signal }),
        });
        if (!nested.ok) throw nested.error;
        return nested.output;
      },
    });
    if (timeoutMs === undefined && outer === undefined) return action.run(input, makeContext(NEVER_ABORTED));
    if (outer?.aborted) throw new CancelledError(`Action "${action.name}"`, outer.reason);

    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const aborted = new Promise<never>((_, reject) => {
      controller.signal.addEventListener('abort', () => reject(controller.signal.reason as Error), { once: true });
    });
    const onOuterAbort = () => controller.abort(new CancelledError(`Action "${action.name}"`, outer?.reason));
    outer?.addEventListener('abort', onOuterAbort, { once: true });
    if (timeoutMs !== undefined) timer = setTimeout(() => controller.abort(new ActionTimeoutError(action.name, timeoutMs)), timeoutMs);
    try {
      return await Promise.race([Promise.resolve().then(() => action.run(input, makeContext(controller.signal))), aborted]);
    } finally {
      if (timer !== undefined) clearTimeout(timer);
      outer?.removeEventListener('abort', onOuterAbort);
      aborted.catch(() => undefined);
    }
  }
}

function hashInput(value: unknown): HashedJson & { error?: string } {
  const hashed = tryHash(value);
  if (hashed !== null) return hashed;
  // Keep a trace of what was passed even though it cannot be recorded as JSON.
  return { ...hashJson({ $unserializable: describeUnserializable(value) }), error: 'the input is not JSON-serializable' };
}

function describeUnserializable(value: unknown): string {
  try {
    return String(value).slice(0, 1000);
  } catch {
    // Objects without a prototype (or with a throwing toString) cannot even be turned into text.
    return `[${typeof value}]`;
  }
}

function tryHash(value: unknown): HashedJson | null {
  try {
    return hashJson(value);
  } catch {
    return null;
  }
}

function guardFailure(guard: string, action: string, error: unknown): GuardVerdict {
  const failure = new GuardFailedError(guard, action, error);
  return { allow: false, code: failure.code, reason: String(failure.data.message), error: failure };
}

function normalizePrecondition(result: PreconditionResult): { ok: boolean; reason?: string; observed?: JsonValue } {
  return typeof result === 'boolean' ? { ok: result } : result;
}

function classifyFailure(action: AnyAction, error: unknown): { status: StepStatus; error: ArborError } {
  if (ArborError.isInstance(error)) {
    return { status: error.code === 'ARBOR_CANCELLED' ? 'cancelled' : 'failed', error };
  }
  return { status: 'failed', error: new ActionFailedError(action.name, error) };
}

function isRetryable(action: AnyAction, result: StepResult): boolean {
  const code = result.error?.code;
  if (code === undefined || result.status === 'blocked' || result.status === 'cancelled') return false;
  const retryOn = action.retry?.retryOn;
  return retryOn === undefined ? !NOT_RETRIED.has(code) : retryOn.includes(code);
}

function withoutJson(write: StepWrite): Omit<StepRecord, 'input' | 'output'> {
  const { inputJson: _input, outputJson: _output, ...rest } = write;
  return rest;
}
