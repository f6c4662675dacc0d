import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import {
  ArborError,
  CancelledError,
  CodeRuntimeError,
  CodeStalledError,
  CodeSyntaxError,
  SandboxCrashedError,
  SandboxForbiddenError,
  SandboxLimitError,
} from '../errors/index.js';
import type { JsonValue } from '../internal/json.js';
import { resolveLimits, type SandboxLimits } from './limits.js';
import {
  SYNC_BUFFER_BYTES,
  SYNC_FAILED,
  SYNC_OK,
  SYNC_STATUS_INDEX,
  SYNC_VALUE_BYTE_OFFSET,
  type GuestFailure,
  type RunStats,
  type ToolResultMessage,
  type WorkerToHost,
} from './protocol.js';

/** Where in the agent's code a tool was called (1-based; null when the stack did not say). */
export interface CodePosition {
  line: number | null;
  column: number | null;
}

/** The recorded sources of time and randomness the guest's `Date` and `Math.random` read. */
export interface SandboxClock {
  now(): number;
  random(): number;
}

export interface SandboxRunOptions {
  /**
   * Tool names the guest sees in `tools`, and as plain globals (identifiers only) when there are at most
   * MAX_GLOBAL_TOOLS. Beyond MAX_LISTED_TOOLS they are not listed at all: `tools.<name>` and
   * `callTool(name)` still reach any of them.
   */
  tools?: readonly string[];
  /**
   * Performs a tool call for the guest. Calls arrive one at a time, in the order the guest made them.
   * Throw an ArborError to fail the call: the guest sees a ToolError with its `code`.
   */
  callTool?: (name: string, input: JsonValue, position: CodePosition) => Promise<unknown>;
  /** Default: the machine's clock and Math.random (unrecorded). */
  clock?: SandboxClock;
  limits?: Partial<SandboxLimits>;
  /**
   * `script` (default): the code is a script body; top-level `await` and `return` work.
   * `{ input }`: the code is a function expression, called with `input`; its result is the value.
   */
  entry?: 'script' | { input: JsonValue };
  signal?: AbortSignal;
  /** Hears each console line as it is printed. */
  onStdout?: (line: string) => void;
}

export interface SandboxToolCall {
  tool: string;
  line: number | null;
  column: number | null;
  ok: boolean;
  /** The error code when the call failed. */
  code?: string;
}

interface OutcomeBase {
  /** Console output, one printed line per line. */
  stdout: string;
  toolCalls: SandboxToolCall[];
  stats: RunStats;
}

export type SandboxOutcome =
  | (OutcomeBase & { ok: true; /** The returned value; undefined when the code returned nothing. */ value: JsonValue | undefined })
  | (OutcomeBase & { ok: false; error: ArborError });

export interface SandboxOptions {
  /** Defaults for every run (each run may override). */
  limits?: Partial<SandboxLimits>;
  /** Idle worker threads kept warm for the next runs. Default 2. */
  maxIdleWorkers?: number;
  /**
   * Runs at once (one worker thread each); more wait. Nested runs (a saved action called from run_code)
   * each need their own, so keep it above the nesting depth. Default 8.
   */
  maxWorkers?: number;
  /** Extra time after the wall-clock limit before the worker thread is killed. Default 1000 ms. */
  killGraceMs?: number;
}

interface WorkerSlot {
  /** Undefined until the engine is compiled and the thread started. */
  worker: Worker | undefined;
  /** The hard ceiling of the worker's WebAssembly memory; a run needs one that fits its memory limit. */
  wasmMemoryBytes: number;
  ready: Promise<void>;
  busy: boolean;
  /** Set while a run owns the worker. */
  onMessage?: (message: WorkerToHost) => void;
  onExit?: (reason: string) => void;
}

/**
 * Runs agent-written JavaScript in QuickJS (WebAssembly) on worker threads. The guest has no Node APIs,
 * no modules, no network and no file system; it reaches the world only through the tools it is given.
 * Each run gets a fresh engine; a run that overstays its time is stopped by killing its thread, so the
 * host process stays responsive whatever the code does.
 */
export class Sandbox {
  readonly #defaults: Partial<SandboxLimits>;
  readonly #maxWorkers: number;
  readonly #maxIdleWorkers: number;
  readonly #killGraceMs: number;
  readonly #slots: WorkerSlot[] = [];
  readonly #waiting: ((slot: WorkerSlot) => void)[] = [];
  #nextRunId = 1;
  #closed = false;

  constructor(options: SandboxOptions = {}) {
    this.#defaults = options.limits ?? {};
    resolveLimits(this.#defaults);
    this.#maxWorkers = Math.max(1, Math.floor(options.maxWorkers ?? 8));
    this.#maxIdleWorkers = Math.max(0, Math.floor(options.maxIdleWorkers ?? 2));
    this.#killGraceMs = options.killGraceMs ?? 1000;
  }

  /** Runs code and reports what happened; never throws for the code's own failures (see `outcome.error`). */
  async run(code: string, options: SandboxRunOptions = {}): Promise<SandboxOutcome> {
    if (this.#closed) throw new SandboxCrashedError('the sandbox was closed', { hint: 'Create a new Sandbox.' });
    const limits = resolveLimits(this.#defaults, options.limits);
    const signal = options.signal;
    if (signal?.aborted) throw new CancelledError('Sandboxed code', signal.reason);
    const slot = await this.#acquire(wasmMemoryFor(limits));
    try {
      return await this.#runOn(slot, code, options, limits);
    } finally {
      this.#release(slot);
    }
  }

  /** Terminates every worker thread. Runs in progress fail with SandboxCrashedError. */
  async close(): Promise<void> {
    this.#closed = true;
    const slots = this.#slots.splice(0);
    await Promise.all(slots.map((slot) => slot.worker?.terminate()));
  }

  async #runOn(slot: WorkerSlot, code: string, options: SandboxRunOptions, limits: SandboxLimits): Promise<SandboxOutcome> {
    const runId = this.#nextRunId++;
    const syncBuffer = new SharedArrayBuffer(SYNC_BUFFER_BYTES);
    const syncStatus = new Int32Array(syncBuffer, 0, 1);
    const syncValue = new Float64Array(syncBuffer, SYNC_VALUE_BYTE_OFFSET, 1);
    const clock = options.clock ?? { now: Date.now, random: Math.random };
    const stdout: string[] = [];
    const toolCalls: SandboxToolCall[] = [];
    const startedAt = performance.now();
    // A failure the host saw itself (the recorded clock refused, say) explains the run better than the
    // worker's report of it.
    let hostError: ArborError | undefined;
    const codeLines = code.split('\n').length;
    const entryInput = options.entry === undefined || options.entry === 'script' ? undefined : options.entry.input;
    const entryJson = entryInput === undefined ? undefined : JSON.stringify(entryInput);

    return new Promise<SandboxOutcome>((resolve) => {
      let finished = false;
      const finish = (outcome: { ok: true; value: JsonValue | undefined } | { ok: false; error: ArborError }, stats?: RunStats) => {
        if (finished) return;
        finished = true;
        // Whatever the code printed before it failed is part of what the agent needs to fix it.
        if (!outcome.ok && outcome.error.data.stdout === undefined) outcome.error.data.stdout = stdout.join('\n');
        clearTimeout(killTimer);
        signal?.removeEventListener('abort', onAbort);
        slot.onMessage = undefined;
        slot.onExit = undefined;
        resolve({
          ...outcome,
          stdout: stdout.join('\n'),
          toolCalls,
          stats: stats ?? { cpuTicks: 0, memoryBytes: 0, durationMs: performance.now() - startedAt },
        } as SandboxOutcome);
      };
      const kill = (error: ArborError) => {
        finish({ ok: false, error });
        this.#retire(slot);
      };
      const killTimer = setTimeout(
        () => kill(new SandboxLimitError('time', `the run took longer than ${limits.timeMs} ms`, { killed: true })),
        limits.timeMs + this.#killGraceMs,
      );
      const signal = options.signal;
      const onAbort = () => kill(new CancelledError('Sandboxed code', signal?.reason));
      signal?.addEventListener('abort', onAbort, { once: true });

      slot.onExit = (reason) => finish({ ok: false, error: new SandboxCrashedError(`the worker thread stopped (${reason})`) });
      slot.onMessage = (message) => {
        if (message.type === 'ready' || message.runId !== runId) return;
        switch (message.type) {
          case 'stdout':
            stdout.push(message.text);
            options.onStdout?.(message.text);
            return;
          case 'sync': {
            try {
              const value = message.kind === 'now' ? clock.now() : clock.random();
              if (typeof value !== 'number' || !Number.isFinite(value)) throw new TypeError(`the clock returned ${String(value)}`);
              syncValue[0] = value;
              Atomics.store(syncStatus, SYNC_STATUS_INDEX, SYNC_OK);
            } catch (error) {
              hostError ??= ArborError.from(error);
              Atomics.store(syncStatus, SYNC_STATUS_INDEX, SYNC_FAILED);
            }
            Atomics.notify(syncStatus, SYNC_STATUS_INDEX);
            return;
          }
          case 'tool-call': {
            const call: SandboxToolCall = { tool: message.tool, line: message.line, column: message.column, ok: false };
            toolCalls.push(call);
            void this.#performCall(message.tool, message.inputJson, { line: message.line, column: message.column }, options).then((reply) => {
              call.ok = reply.ok;
              if (!reply.ok && reply.error !== undefined) call.code = reply.error.code;
              if (!finished) slot.worker?.postMessage({ ...reply, type: 'tool-result', runId, callId: message.callId } satisfies ToolResultMessage);
            });
            return;
          }
          case 'done': {
            if (message.retire) this.#retire(slot);
            if (message.ok) {
              let value: JsonValue | undefined;
              try {
                value = message.resultJson === undefined ? undefined : (JSON.parse(message.resultJson) as JsonValue);
              } catch {
                finish({ ok: false, error: new SandboxCrashedError('the worker sent an unreadable result') }, message.stats);
                return;
              }
              finish({ ok: true, value }, message.stats);
              return;
            }
            const failure = message.failure ?? { kind: 'host', detail: 'the worker reported no reason' };
            finish({ ok: false, error: hostError ?? toError(failure, codeLines, stdout) }, message.stats);
            return;
          }
        }
      };

      void slot.ready.then(
        () => {
          if (finished) return;
          slot.worker?.postMessage({
            type: 'run',
            runId,
            code,
            entry: entryJson === undefined ? { kind: 'script' } : { kind: 'function', inputJson: entryJson },
            // Beyond this many, names are not shipped into every run: `tools.<name>` still resolves any of them.
            tools: listTools(options.tools ?? []),
            limits,
            deadline: Date.now() + limits.timeMs,
            syncBuffer,
          });
        },
        (error: unknown) =>
          kill(ArborError.isInstance(error) ? error : new SandboxCrashedError('the worker thread did not start', { cause: error, data: { reason: String(error) } })),
      );
    });
  }

  async #performCall(
    tool: string,
    inputJson: string,
    position: CodePosition,
    options: SandboxRunOptions,
  ): Promise<Pick<ToolResultMessage, 'ok' | 'json' | 'error'>> {
    try {
      if (options.callTool === undefined) throw new SandboxForbiddenError(`the tool "${tool}"`, 'this sandbox run was given no tools');
      let input: JsonValue;
      try {
        input = JSON.parse(inputJson) as JsonValue;
      } catch {
        throw new SandboxForbiddenError(`the input of "${tool}"`, 'it is not JSON');
      }
      const output = await options.callTool(tool, input, position);
      const json = output === undefined ? undefined : JSON.stringify(output);
      return json === undefined ? { ok: true } : { ok: true, json };
    } catch (thrown) {
      const error = ArborError.from(thrown);
      return { ok: false, error: { code: error.code, message: error.message, ...(error.hint === undefined ? {} : { hint: error.hint }) } };
    }
  }

  async #acquire(wasmMemoryBytes: number): Promise<WorkerSlot> {
    const idle = this.#slots.find((slot) => !slot.busy && slot.wasmMemoryBytes === wasmMemoryBytes);
    if (idle !== undefined) return this.#claim(idle);
    if (this.#slots.length >= this.#maxWorkers) {
      // Make room by dropping an idle worker sized for other limits.
      const other = this.#slots.find((slot) => !slot.busy);
      if (other !== undefined) this.#retire(other);
    }
    if (this.#slots.length < this.#maxWorkers) return this.#claim(this.#spawn(wasmMemoryBytes));
    return new Promise<WorkerSlot>((resolve) =>
      this.#waiting.push((released) => {
        if (released.wasmMemoryBytes === wasmMemoryBytes) return resolve(this.#claim(released));
        this.#retire(released);
        resolve(this.#claim(this.#spawn(wasmMemoryBytes)));
      }),
    );
  }

  #claim(slot: WorkerSlot): WorkerSlot {
    slot.busy = true;
    // Keep the process alive while a run is in progress; an idle pool must not.
    slot.worker?.ref();
    return slot;
  }

  #release(slot: WorkerSlot): void {
    slot.busy = false;
    if (!this.#slots.includes(slot)) {
      // The slot was retired during the run: hand a waiting run a fresh worker instead.
      const waiter = this.#waiting.shift();
      if (waiter !== undefined) waiter(this.#spawn(slot.wasmMemoryBytes));
      return;
    }
    const waiter = this.#waiting.shift();
    if (waiter !== undefined) {
      waiter(slot);
      return;
    }
    if (this.#slots.filter((candidate) => !candidate.busy).length > this.#maxIdleWorkers) {
      this.#retire(slot);
      return;
    }
    slot.worker?.unref();
  }

  #spawn(wasmMemoryBytes: number): WorkerSlot {
    const slot: WorkerSlot = { worker: undefined as unknown as Worker, wasmMemoryBytes, busy: false, ready: Promise.resolve() };
    // Compiled once per process and handed to each worker, so replacing a killed worker is cheap.
    const started = compiledEngine().then((wasmModule) => {
      const worker = new Worker(workerEntry(), {
        workerData: { wasmMemoryBytes, wasmModule },
      // A deeper native stack than the main thread's, so QuickJS's own stack limit trips first.
        resourceLimits: { stackSizeMb: 8, maxOldGenerationSizeMb: 256 },
        stdout: false,
        stderr: false,
      });
      slot.worker = worker;
      if (!slot.busy) worker.unref();
      worker.on('message', (message: WorkerToHost) => slot.onMessage?.(message));
      worker.on('error', (error) => slot.onExit?.(`error: ${error.message}`));
      worker.on('exit', (code) => {
        this.#forget(slot);
        slot.onExit?.(`exit code ${code}`);
      });
      if (this.#closed || !this.#slots.includes(slot)) void worker.terminate();
      return worker;
    });
    slot.ready = started.then(
      (worker) =>
        new Promise<void>((resolve, reject) => {
          const onReady = (message: WorkerToHost) => {
            if (message.type === 'ready') {
              worker.off('message', onReady);
              resolve();
            }
          };
          worker.on('message', onReady);
          worker.once('error', reject);
          worker.once('exit', (code) => reject(new Error(`exit code ${code}`)));
        }),
    );
    slot.ready.catch(() => undefined);
    this.#slots.push(slot);
    return slot;
  }

  #retire(slot: WorkerSlot): void {
    this.#forget(slot);
    void slot.worker?.terminate();
  }

  #forget(slot: WorkerSlot): void {
    const index = this.#slots.indexOf(slot);
    if (index >= 0) this.#slots.splice(index, 1);
  }
}

let shared: Sandbox | undefined;

/** A process-wide sandbox with default options, created on first use. Its idle workers do not keep the process alive. */
export function sharedSandbox(): Sandbox {
  shared ??= new Sandbox();
  return shared;
}

/** Headroom of a worker's WebAssembly memory over the engine heap limit: its own stack, data and fragmentation. */
const WASM_OVERHEAD_BYTES = 32 * 1024 * 1024;
const WASM_PAGE = 64 * 1024;

function wasmMemoryFor(limits: SandboxLimits): number {
  const bytes = Math.min(limits.memoryBytes + WASM_OVERHEAD_BYTES, 2 * 1024 * 1024 * 1024);
  return Math.ceil(bytes / WASM_PAGE) * WASM_PAGE;
}

/** Tools listed in the guest (`Object.keys(tools)`, `'name' in tools`) up to this many; more resolve on use only. */
export const MAX_LISTED_TOOLS = 1000;
/** Tools also defined as plain globals up to this many (each costs QuickJS ~50 µs per run). */
export const MAX_GLOBAL_TOOLS = 100;

function listTools(names: readonly string[]): { name: string; global: string | null }[] {
  if (names.length > MAX_LISTED_TOOLS) return [];
  const globals = names.length <= MAX_GLOBAL_TOOLS;
  return names.map((name) => ({ name, global: globals ? globalNameFor(name) : null }));
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
const RESERVED = new Set(
  'break case catch class const continue debugger default delete do else enum export extends false finally for function if import in instanceof new null return super switch this throw true try typeof var void while with yield let static implements interface package private protected public await async arguments eval undefined NaN Infinity'.split(
    ' ',
  ),
);

/** The global a tool also gets inside the sandbox: its name when that is a plain identifier. */
function globalNameFor(name: string): string | null {
  return IDENTIFIER.test(name) && !RESERVED.has(name) ? name : null;
}

function toError(failure: GuestFailure, codeLines: number, stdout: string[]): ArborError {
  const clamp = (line: number | null) => (line === null ? null : Math.min(line, codeLines));
  const data = { stdout: stdout.join('\n') };
  switch (failure.kind) {
    case 'syntax':
      return new CodeSyntaxError(failure.message, { line: clamp(failure.line), column: failure.column }, data);
    case 'runtime':
      return new CodeRuntimeError(
        {
          errorName: failure.name,
          errorMessage: failure.message,
          line: clamp(failure.line),
          column: failure.column,
          stack: failure.stack,
          ...(failure.tool === undefined ? {} : { tool: failure.tool }),
        },
        data,
      );
    case 'limit':
      return new SandboxLimitError(failure.limit, failure.detail, data);
    case 'forbidden':
      return new SandboxForbiddenError(failure.what, failure.detail, undefined, data);
    case 'stalled':
      return new CodeStalledError(failure.detail, data);
    case 'host':
      return new SandboxCrashedError(failure.detail, { data });
  }
}

// The project compiles without the DOM library, which is where TypeScript declares WebAssembly.
declare const WebAssembly: { compile(bytes: Uint8Array): Promise<object> };

let engine: Promise<object> | undefined;

/** QuickJS's WebAssembly, compiled once per process (workers receive the compiled module). */
function compiledEngine(): Promise<object> {
  engine ??= readFile(fileURLToPath(import.meta.resolve('@jitl/quickjs-wasmfile-release-sync/wasm'))).then((bytes) => WebAssembly.compile(bytes));
  engine.catch(() => {
    engine = undefined;
  });
  return engine;
}

/**
 * The compiled worker entry. Running from TypeScript sources (tests), the sibling .js does not exist;
 * the build output under dist/ is used instead (`npm test` builds first).
 */
function workerEntry(): URL {
  const sibling = new URL('./worker/sandbox-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(sibling))) return sibling;
  const fromSource = fileURLToPath(sibling).replace(/([\\/])src([\\/])sandbox([\\/])/, '$1dist$2sandbox$3');
  if (existsSync(fromSource)) return pathToFileURL(fromSource);
  throw new SandboxCrashedError('the sandbox worker script is missing', {
    hint: 'Run "npm run build": the worker runs from the compiled dist/sandbox/worker/sandbox-worker.js.',
    data: { looked: [fileURLToPath(sibling), fromSource] },
  });
}
