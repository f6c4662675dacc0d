import type { QuickJSContext, QuickJSDeferredPromise, QuickJSHandle, QuickJSRuntime, QuickJSWASMModule } from 'quickjs-emscripten-core';
import {
  SYNC_FAILED,
  SYNC_OK,
  SYNC_PENDING,
  SYNC_STATUS_INDEX,
  SYNC_VALUE_BYTE_OFFSET,
  type DoneMessage,
  type GuestFailure,
  type LimitName,
  type RunRequest,
  type ToolResultMessage,
  type WorkerToHost,
} from '../protocol.js';
import { CODE_FILE, PRELUDE_SOURCE, WRAPPER_LINES } from './prelude.js';

/** A fatal condition: once set, the interrupt handler stops the guest and the run ends with it. */
type Fatal = Extract<GuestFailure, { kind: 'limit' | 'forbidden' | 'host' }>;

interface PendingCall {
  callId: number;
  tool: string;
  inputJson: string;
  site: string;
  deferred: QuickJSDeferredPromise;
}

const PRELUDE_FILE = 'arbor-prelude.js';
/**
 * Promise jobs and timer callbacks run outside the loops QuickJS counts for its interrupt handler, so the
 * driver charges them itself: one CPU tick per this many jobs, and per this many timers fired. Counting
 * work rather than time keeps the budget deterministic.
 */
const JOBS_PER_TICK = 256;
const TIMERS_PER_TICK = 32;
const encoder = new TextEncoder();

/**
 * One run of agent code in a fresh QuickJS runtime: set the limits, install the prelude, evaluate the
 * code, then drive the job queue, tool calls and virtual timers until the code's promise settles or a
 * limit ends it. Tool calls go to the host one at a time, in the order the guest made them, so the
 * recorded child steps and everything the guest computes from their results are the same on a replay.
 */
export class GuestRun {
  readonly #module: QuickJSWASMModule;
  readonly #request: RunRequest;
  readonly #post: (message: WorkerToHost) => void;
  readonly #syncStatus: Int32Array;
  readonly #syncValue: Float64Array;
  #runtime: QuickJSRuntime | undefined;
  #vm: QuickJSContext | undefined;
  #fatal: Fatal | undefined;
  #ticks = 0;
  #outputBytes = 0;
  #toolCalls = 0;
  #timersFired = 0;
  #nextCallId = 1;
  readonly #queue: PendingCall[] = [];
  #inFlight: { call: PendingCall; reply: Promise<ToolResultMessage> } | undefined;
  #deliver: ((message: ToolResultMessage) => void) | undefined;
  readonly #allDeferred: QuickJSDeferredPromise[] = [];
  #retire = false;
  readonly #startedAt = performance.now();

  constructor(module: QuickJSWASMModule, request: RunRequest, post: (message: WorkerToHost) => void) {
    this.#module = module;
    this.#request = request;
    this.#post = post;
    this.#syncStatus = new Int32Array(request.syncBuffer, 0, 1);
    this.#syncValue = new Float64Array(request.syncBuffer, SYNC_VALUE_BYTE_OFFSET, 1);
  }

  /** Hands a tool result from the host to the call waiting for it. */
  receive(message: ToolResultMessage): void {
    if (this.#inFlight?.call.callId === message.callId) this.#deliver?.(message);
  }

  async execute(): Promise<DoneMessage> {
    let outcome: { ok: true; resultJson?: string } | { ok: false; failure: GuestFailure };
    try {
      outcome = await this.#execute();
    } catch (error) {
      // The engine itself failed (for example the host's stack ran out inside WebAssembly): its memory may
      // be inconsistent, so this worker is retired after reporting.
      this.#retire = true;
      outcome = { ok: false, failure: this.#fatal ?? classifyEngineFailure(error) };
    }
    const memoryBytes = this.#memoryUsed();
    this.#dispose();
    return {
      type: 'done',
      runId: this.#request.runId,
      ...outcome,
      stats: { cpuTicks: this.#ticks, memoryBytes, durationMs: performance.now() - this.#startedAt },
      retire: this.#retire,
    };
  }

  async #execute(): Promise<{ ok: true; resultJson?: string } | { ok: false; failure: GuestFailure }> {
    const { limits } = this.#request;
    const runtime = this.#module.newRuntime();
    this.#runtime = runtime;
    runtime.setMemoryLimit(limits.memoryBytes);
    runtime.setMaxStackSize(limits.stackBytes);
    runtime.setInterruptHandler(() => this.#shouldInterrupt());
    runtime.setModuleLoader((name) => {
      this.#setFatal({ kind: 'forbidden', what: 'import', detail: `import("${name.slice(0, 100)}") is not available: the sandbox has no modules, no file system and no network` });
      return { error: new Error('modules are not available in the sandbox') };
    });
    const vm = runtime.newContext();
    this.#vm = vm;

    const prelude = this.#installPrelude(vm);
    try {
      const entry = this.#request.entry;
      const wrapped = entry.kind === 'script' ? `(async () => {\n${this.#request.code}\n})()` : `(\n${this.#request.code}\n)`;
      const evaluated = vm.evalCode(wrapped, CODE_FILE, { type: 'global' });
      if (evaluated.error !== undefined) {
        const failure = this.#fatal ?? this.#failureFromHandle(evaluated.error, true);
        evaluated.error.dispose();
        return { ok: false, failure };
      }
      const settleArgs = [evaluated.value];
      const inputHandle = entry.kind === 'function' ? vm.newString(entry.inputJson) : undefined;
      if (inputHandle !== undefined) settleArgs.push(inputHandle);
      const settled = vm.callFunction(prelude.settle, vm.undefined, ...settleArgs);
      evaluated.value.dispose();
      inputHandle?.dispose();
      if (settled.error !== undefined) {
        const failure = this.#fatal ?? this.#failureFromHandle(settled.error, false);
        settled.error.dispose();
        return { ok: false, failure };
      }
      const promise = settled.value;
      try {
        return await this.#drive(vm, runtime, promise, prelude.fireTimer);
      } finally {
        promise.dispose();
      }
    } finally {
      prelude.settle.dispose();
      prelude.fireTimer.dispose();
    }
  }

  async #drive(
    vm: QuickJSContext,
    runtime: QuickJSRuntime,
    promise: QuickJSHandle,
    fireTimer: QuickJSHandle,
  ): Promise<{ ok: true; resultJson?: string } | { ok: false; failure: GuestFailure }> {
    for (;;) {
      const jobsFailure = this.#runJobs(runtime);
      if (jobsFailure !== undefined) return { ok: false, failure: jobsFailure };
      if (this.#fatal !== undefined) return { ok: false, failure: this.#fatal };
      if (Date.now() > this.#request.deadline) return { ok: false, failure: this.#limit('time', `the run took longer than ${this.#request.limits.timeMs} ms`) };

      const state = vm.getPromiseState(promise);
      if (state.type === 'fulfilled') {
        const envelope = vm.typeof(state.value) === 'string' ? vm.getString(state.value) : undefined;
        state.value.dispose();
        if (envelope === undefined) return { ok: false, failure: { kind: 'host', detail: 'the sandbox prelude returned a non-string' } };
        return this.#decodeEnvelope(envelope);
      }
      if (state.type === 'rejected') {
        // Encoding the outcome itself failed: out of memory or stack, most likely.
        const failure = this.#fatal ?? this.#failureFromHandle(state.error, false);
        state.error.dispose();
        return { ok: false, failure };
      }

      if (this.#inFlight === undefined && this.#queue.length > 0) this.#startNextCall();
      if (this.#inFlight !== undefined) {
        const reply = await this.#awaitReply(this.#inFlight.reply);
        if (reply === undefined) return { ok: false, failure: this.#fatal ?? this.#limit('time', `the run took longer than ${this.#request.limits.timeMs} ms`) };
        this.#settleCall(vm, this.#inFlight.call, reply);
        this.#inFlight = undefined;
        continue;
      }
      const fired = vm.callFunction(fireTimer, vm.undefined);
      if (fired.error !== undefined) {
        const failure = this.#fatal ?? this.#failureFromHandle(fired.error, false);
        fired.error.dispose();
        return { ok: false, failure };
      }
      const didFire = vm.dump(fired.value) === true;
      fired.value.dispose();
      if (didFire) {
        if (++this.#timersFired % TIMERS_PER_TICK === 0) this.#shouldInterrupt();
        continue;
      }
      return {
        ok: false,
        failure: { kind: 'stalled', detail: 'the code awaits a promise that nothing will ever settle (no tool call or timer is pending)' },
      };
    }
  }

  /** Runs pending promise jobs in batches, charging each full batch as a CPU tick. */
  #runJobs(runtime: QuickJSRuntime): GuestFailure | undefined {
    for (;;) {
      const jobs = runtime.executePendingJobs(JOBS_PER_TICK);
      if (jobs.error !== undefined) {
        const failure = this.#fatal ?? this.#failureFromHandle(jobs.error, false);
        jobs.error.dispose();
        return failure;
      }
      const executed = jobs.value;
      if (executed < JOBS_PER_TICK) return undefined;
      if (this.#shouldInterrupt()) return this.#fatal;
    }
  }

  #installPrelude(vm: QuickJSContext): { settle: QuickJSHandle; fireTimer: QuickJSHandle } {
    const host = vm.newObject();
    const call = vm.newFunction('call', (nameHandle, jsonHandle, siteHandle) => this.#onToolCall(vm, nameHandle, jsonHandle, siteHandle));
    const sync = vm.newFunction('sync', (kindHandle) => this.#onSync(vm, kindHandle));
    const print = vm.newFunction('print', (textHandle) => this.#onPrint(vm, textHandle));
    vm.setProp(host, 'call', call);
    vm.setProp(host, 'sync', sync);
    vm.setProp(host, 'print', print);
    call.dispose();
    sync.dispose();
    print.dispose();
    // Handed over as JSON text: parsing it is much cheaper than compiling it as an object literal.
    const toolList = vm.newString(JSON.stringify(this.#request.tools));
    const factory = vm.evalCode(PRELUDE_SOURCE, PRELUDE_FILE);
    if (factory.error !== undefined) {
      throw new Error(`the sandbox prelude did not compile: ${JSON.stringify(vm.dump(factory.error))}`);
    }
    const codeFile = vm.newString(CODE_FILE);
    const installed = vm.callFunction(factory.value, vm.undefined, host, toolList, codeFile);
    host.dispose();
    toolList.dispose();
    factory.value.dispose();
    codeFile.dispose();
    if (installed.error !== undefined) {
      const detail = JSON.stringify(vm.dump(installed.error));
      installed.error.dispose();
      throw new Error(`the sandbox prelude failed: ${detail}`);
    }
    const settle = vm.getProp(installed.value, 'settle');
    const fireTimer = vm.getProp(installed.value, 'fireTimer');
    installed.value.dispose();
    return { settle, fireTimer };
  }

  #onToolCall(vm: QuickJSContext, nameHandle: QuickJSHandle | undefined, jsonHandle: QuickJSHandle | undefined, siteHandle: QuickJSHandle | undefined): QuickJSHandle {
    const name = readString(vm, nameHandle);
    const inputJson = readString(vm, jsonHandle);
    if (name === undefined || inputJson === undefined) throw new TypeError('callTool(name, input): name must be a string and input JSON-serializable');
    const deferred = vm.newPromise();
    this.#allDeferred.push(deferred);
    if (this.#fatal !== undefined) return deferred.handle;
    this.#toolCalls++;
    if (this.#toolCalls > this.#request.limits.toolCalls) {
      this.#setFatal(this.#limit('toolCalls', `the code made more than ${this.#request.limits.toolCalls} tool calls`));
      return deferred.handle;
    }
    if (encoder.encode(inputJson).length > this.#request.limits.memoryBytes) {
      this.#setFatal(this.#limit('memory', `the input of tool "${name.slice(0, 100)}" is larger than the memory limit`));
      return deferred.handle;
    }
    this.#queue.push({ callId: this.#nextCallId++, tool: name, inputJson, site: readString(vm, siteHandle) ?? '', deferred });
    return deferred.handle;
  }

  #startNextCall(): void {
    const call = this.#queue.shift();
    if (call === undefined) return;
    const reply = new Promise<ToolResultMessage>((resolve) => {
      this.#deliver = resolve;
    });
    this.#inFlight = { call, reply };
    const position = positionInCode(call.site);
    this.#post({
      type: 'tool-call',
      runId: this.#request.runId,
      callId: call.callId,
      tool: call.tool,
      inputJson: call.inputJson,
      line: position?.line ?? null,
      column: position?.column ?? null,
    });
  }

  async #awaitReply(reply: Promise<ToolResultMessage>): Promise<ToolResultMessage | undefined> {
    const remaining = this.#request.deadline - Date.now();
    if (remaining <= 0) return undefined;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), remaining);
    });
    try {
      return await Promise.race([reply, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  #settleCall(vm: QuickJSContext, call: PendingCall, reply: ToolResultMessage): void {
    const envelope = reply.ok
      ? reply.json === undefined
        ? '{"ok":true}'
        : `{"ok":true,"value":${reply.json}}`
      : JSON.stringify({ ok: false, error: reply.error ?? { code: 'ARBOR_INTERNAL', message: 'the tool failed' } });
    if (encoder.encode(envelope).length > this.#request.limits.memoryBytes) {
      this.#setFatal(this.#limit('memory', `the output of tool "${call.tool}" is larger than the memory limit`));
      return;
    }
    const value = vm.newString(envelope);
    call.deferred.resolve(value);
    value.dispose();
  }

  #onSync(vm: QuickJSContext, kindHandle: QuickJSHandle | undefined): QuickJSHandle {
    const kind = kindHandle !== undefined && vm.typeof(kindHandle) === 'number' && vm.getNumber(kindHandle) === 1 ? 'random' : 'now';
    if (this.#fatal !== undefined) throw new Error('the run is ending');
    Atomics.store(this.#syncStatus, SYNC_STATUS_INDEX, SYNC_PENDING);
    this.#post({ type: 'sync', runId: this.#request.runId, kind });
    const remaining = Math.max(1, this.#request.deadline - Date.now());
    const waited = Atomics.wait(this.#syncStatus, SYNC_STATUS_INDEX, SYNC_PENDING, remaining);
    const status = Atomics.load(this.#syncStatus, SYNC_STATUS_INDEX);
    if (waited === 'timed-out' && status === SYNC_PENDING) {
      this.#setFatal(this.#limit('time', `the run took longer than ${this.#request.limits.timeMs} ms`));
      throw new Error('the run is out of time');
    }
    if (status === SYNC_FAILED) {
      // The host keeps the real error (a replay mismatch, say) and reports it.
      this.#setFatal({ kind: 'host', detail: `reading the recorded ${kind === 'now' ? 'clock' : 'random source'} failed` });
      throw new Error(`reading the recorded ${kind === 'now' ? 'clock' : 'random source'} failed`);
    }
    if (status !== SYNC_OK) throw new Error('the recorded clock did not answer');
    return vm.newNumber(this.#syncValue[0] ?? 0);
  }

  #onPrint(vm: QuickJSContext, textHandle: QuickJSHandle | undefined): void {
    if (this.#fatal !== undefined) return;
    const text = readString(vm, textHandle) ?? '';
    const bytes = encoder.encode(text).length + 1;
    this.#outputBytes += bytes;
    if (this.#outputBytes > this.#request.limits.outputBytes) {
      this.#setFatal(this.#limit('output', `the code printed more than ${this.#request.limits.outputBytes} bytes`));
      return;
    }
    this.#post({ type: 'stdout', runId: this.#request.runId, text });
  }

  #shouldInterrupt(): boolean {
    if (this.#fatal !== undefined) return true;
    this.#ticks++;
    if (this.#ticks > this.#request.limits.cpuTicks) {
      this.#setFatal(this.#limit('cpu', `the code used more than ${this.#request.limits.cpuTicks} CPU ticks (an endless loop?)`));
      return true;
    }
    if (Date.now() > this.#request.deadline) {
      this.#setFatal(this.#limit('time', `the run took longer than ${this.#request.limits.timeMs} ms`));
      return true;
    }
    return false;
  }

  #setFatal(fatal: Fatal): void {
    this.#fatal ??= fatal;
  }

  #limit(limit: LimitName, detail: string): Fatal {
    return { kind: 'limit', limit, detail };
  }

  #decodeEnvelope(envelope: string): { ok: true; resultJson?: string } | { ok: false; failure: GuestFailure } {
    let parsed: unknown;
    try {
      parsed = JSON.parse(envelope);
    } catch {
      return { ok: false, failure: { kind: 'host', detail: 'the sandbox produced an unreadable outcome' } };
    }
    if (!isRecord(parsed)) return { ok: false, failure: { kind: 'host', detail: 'the sandbox produced an unreadable outcome' } };
    if (parsed.ok === true) {
      if (!('value' in parsed)) return { ok: true };
      const resultJson = JSON.stringify(parsed.value);
      if (encoder.encode(resultJson).length > this.#request.limits.outputBytes) {
        return { ok: false, failure: this.#limit('output', `the returned value is larger than ${this.#request.limits.outputBytes} bytes`) };
      }
      return { ok: true, resultJson };
    }
    const error = isRecord(parsed.error) ? parsed.error : {};
    return { ok: false, failure: runtimeFailure(error) };
  }

  /** Turns an error handle the engine produced (not one the prelude encoded) into a failure. */
  #failureFromHandle(handle: QuickJSHandle, compiling: boolean): GuestFailure {
    let dumped: unknown;
    try {
      dumped = this.#vm?.dump(handle);
    } catch {
      dumped = undefined;
    }
    const error = isRecord(dumped) ? dumped : { name: 'Error', message: String(dumped) };
    const name = typeof error.name === 'string' ? error.name : 'Error';
    const message = typeof error.message === 'string' ? error.message : String(error.message);
    const engineLimit = engineLimitOf(name, message);
    if (engineLimit !== undefined) return engineLimit;
    if (compiling && name === 'SyntaxError') {
      const position = positionInCode(typeof error.stack === 'string' ? error.stack : '');
      return { kind: 'syntax', name, message, line: position?.line ?? null, column: position?.column ?? null };
    }
    return runtimeFailure(error);
  }

  #memoryUsed(): number {
    const runtime = this.#runtime;
    if (runtime === undefined || this.#retire) return 0;
    try {
      const handle = runtime.computeMemoryUsage();
      const usage = this.#vm?.dump(handle) as { memory_used_size?: number } | undefined;
      handle.dispose();
      return usage?.memory_used_size ?? 0;
    } catch {
      return 0;
    }
  }

  #dispose(): void {
    if (this.#retire) return; // the engine's memory cannot be trusted; the whole worker goes away
    try {
      for (const deferred of this.#allDeferred) deferred.dispose();
      this.#vm?.dispose();
      this.#runtime?.dispose();
    } catch {
      // A leaked object fails QuickJS's own consistency check: start this worker afresh.
      this.#retire = true;
    }
  }
}

function readString(vm: QuickJSContext, handle: QuickJSHandle | undefined): string | undefined {
  if (handle === undefined || vm.typeof(handle) !== 'string') return undefined;
  return vm.getString(handle);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Engine errors that mean a limit was reached rather than a bug in the agent's logic. */
function engineLimitOf(name: string, message: string): Fatal | undefined {
  if (name !== 'InternalError' && name !== 'RangeError') return undefined;
  if (message === 'out of memory' || message === 'string too long' || message === 'invalid array buffer length') {
    return { kind: 'limit', limit: 'memory', detail: `the code ran out of memory (${message})` };
  }
  if (message === 'stack overflow') return { kind: 'limit', limit: 'stack', detail: 'the code recursed too deeply (stack overflow)' };
  if (message === 'interrupted') return { kind: 'limit', limit: 'cpu', detail: 'the code was interrupted' };
  return undefined;
}

function runtimeFailure(error: Record<string, unknown>): GuestFailure {
  // QuickJS throws null when it cannot even allocate its out-of-memory error. (Code that throws null on
  // purpose is reported the same way; it has no stack or message to tell the two apart.)
  if (error.thrownNull === true) return { kind: 'limit', limit: 'memory', detail: 'the code ran out of memory (the engine could not allocate the error)' };
  const name = typeof error.name === 'string' ? error.name : 'Error';
  const message = typeof error.message === 'string' ? error.message : String(error.message);
  const engineLimit = engineLimitOf(name, message);
  if (engineLimit !== undefined) return engineLimit;
  const stack = typeof error.stack === 'string' ? error.stack : '';
  const site = typeof error.callSite === 'string' ? error.callSite : undefined;
  const position = positionInCode(site ?? stack) ?? positionInCode(stack);
  const failure: GuestFailure = {
    kind: 'runtime',
    name,
    message,
    line: position?.line ?? null,
    column: position?.column ?? null,
    stack: codeFrames(stack),
  };
  if (typeof error.tool === 'string' && typeof error.code === 'string') {
    failure.tool = { name: error.tool, code: error.code, ...(typeof error.status === 'string' ? { status: error.status } : {}) };
  }
  return failure;
}

const FRAME = new RegExp(`${CODE_FILE.replace('.', '\\.')}:(\\d+):(\\d+)`);

/** The first position in the agent's own code named by a QuickJS stack, in the agent's line numbers. */
export function positionInCode(stack: string): { line: number; column: number } | undefined {
  const match = FRAME.exec(stack);
  if (match === null) return undefined;
  const line = Math.max(1, Number(match[1]) - WRAPPER_LINES);
  return { line, column: Number(match[2]) };
}

/** The stack frames in the agent's code, renumbered to its lines; prelude frames are dropped. */
function codeFrames(stack: string): string {
  return stack
    .split('\n')
    .filter((line) => line.includes(CODE_FILE))
    .map((line) =>
      line.replace(new RegExp(`${CODE_FILE.replace('.', '\\.')}:(\\d+):(\\d+)`, 'g'), (_, l: string, c: string) => `${CODE_FILE}:${Math.max(1, Number(l) - WRAPPER_LINES)}:${c}`),
    )
    .join('\n');
}

function classifyEngineFailure(error: unknown): GuestFailure {
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof RangeError && /call stack/i.test(message)) {
    return { kind: 'limit', limit: 'stack', detail: 'the code recursed too deeply for the host (native stack overflow)' };
  }
  return { kind: 'host', detail: `the JavaScript engine failed: ${message}` };
}
