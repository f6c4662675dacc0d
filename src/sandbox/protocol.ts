/*
 * Messages between the host (sandbox.ts) and a sandbox worker thread (worker/sandbox-worker.ts).
 * Everything the guest produces crosses as strings the receiving side parses and checks itself: neither
 * side trusts a value's shape to the other.
 */
import type { SandboxLimits } from './limits.js';

/** How the code is entered: a script (top-level `await` and `return` allowed), or a function called with an input. */
export type EntryMode = { kind: 'script' } | { kind: 'function'; inputJson: string };

export interface RunRequest {
  type: 'run';
  runId: number;
  code: string;
  entry: EntryMode;
  /** Names of the tools the guest may call, and the identifier each also gets as a global, if any. */
  tools: { name: string; global: string | null }[];
  limits: SandboxLimits;
  /** Wall-clock deadline as a `performance.timeOrigin`-independent epoch time in ms (Date.now() scale). */
  deadline: number;
  /** Shared with the host for synchronous clock reads: Int32 status at [0], Float64 value at byte 8. */
  syncBuffer: SharedArrayBuffer;
}

export interface ToolResultMessage {
  type: 'tool-result';
  runId: number;
  callId: number;
  ok: boolean;
  /** The output as JSON text when ok. */
  json?: string;
  error?: { code: string; message: string; hint?: string; status?: string };
}

export type HostToWorker = RunRequest | ToolResultMessage;

export interface ToolCallMessage {
  type: 'tool-call';
  runId: number;
  callId: number;
  tool: string;
  inputJson: string;
  line: number | null;
  column: number | null;
}

/** A synchronous read of the recorded clock: the worker blocks on the shared buffer until the host answers. */
export interface SyncRequestMessage {
  type: 'sync';
  runId: number;
  kind: 'now' | 'random';
}

export interface StdoutMessage {
  type: 'stdout';
  runId: number;
  text: string;
}

export type LimitName = 'time' | 'cpu' | 'memory' | 'stack' | 'output' | 'toolCalls';

/** Why the guest code did not produce a value. Line and column are in the agent's source (1-based). */
export type GuestFailure =
  | { kind: 'syntax'; name: string; message: string; line: number | null; column: number | null }
  | {
      kind: 'runtime';
      name: string;
      message: string;
      line: number | null;
      column: number | null;
      stack: string;
      /** Set when the uncaught error is a failed tool call. */
      tool?: { name: string; code: string; status?: string };
    }
  | { kind: 'limit'; limit: LimitName; detail: string }
  | { kind: 'forbidden'; what: string; detail: string }
  | { kind: 'stalled'; detail: string }
  | { kind: 'host'; detail: string };

export interface RunStats {
  cpuTicks: number;
  memoryBytes: number;
  durationMs: number;
}

export interface DoneMessage {
  type: 'done';
  runId: number;
  ok: boolean;
  /** The returned value as JSON text; absent when the code returned undefined. */
  resultJson?: string;
  failure?: GuestFailure;
  stats: RunStats;
  /** The engine may be in a bad state (it hit the host's own stack, say): the host replaces the worker. */
  retire: boolean;
}

export interface ReadyMessage {
  type: 'ready';
}

export type WorkerToHost = ToolCallMessage | SyncRequestMessage | StdoutMessage | DoneMessage | ReadyMessage;

/** Layout of the shared buffer for synchronous clock reads. */
export const SYNC_STATUS_INDEX = 0;
export const SYNC_VALUE_BYTE_OFFSET = 8;
export const SYNC_BUFFER_BYTES = 16;
export const SYNC_PENDING = 0;
export const SYNC_OK = 1;
export const SYNC_FAILED = 2;
