/*
 * Entry of a sandbox worker thread. It loads the QuickJS WebAssembly module once and runs one request
 * at a time, each in a fresh QuickJS runtime. The host kills the whole thread when a run overstays its
 * wall-clock limit, so even a long native operation inside the engine cannot hold the host.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { newQuickJSWASMModuleFromVariant, newVariant, type QuickJSSyncVariant } from 'quickjs-emscripten-core';
import type { HostToWorker, WorkerToHost } from '../protocol.js';
import { GuestRun } from './guest-run.js';

const port = parentPort;
if (port === null) throw new Error('sandbox-worker.js must run in a worker thread');

const WASM_PAGE = 64 * 1024;

// The project compiles without the DOM library, which is where TypeScript declares WebAssembly.
declare const WebAssembly: { Memory: new (descriptor: { initial: number; maximum: number }) => { readonly buffer: ArrayBuffer } };
const { wasmMemoryBytes, wasmModule } = workerData as { wasmMemoryBytes: number; wasmModule: object };

// QuickJS's memory limit does not add up large strings and typed arrays (quickjs-emscripten #271), so the
// engine's whole linear memory gets a hard ceiling too: past it, allocations fail as out of memory.
const wasmMemory = new WebAssembly.Memory({ initial: 256, maximum: Math.ceil(wasmMemoryBytes / WASM_PAGE) });
const module = await newQuickJSWASMModuleFromVariant(newVariant(await loadVariant(), { wasmMemory, wasmModule }));
let current: GuestRun | undefined;
const post = (message: WorkerToHost) => port.postMessage(message);

port.on('message', (message: HostToWorker) => {
  if (message.type === 'tool-result') {
    current?.receive(message);
    return;
  }
  if (message.type === 'run') {
    const run = new GuestRun(module, message, post);
    current = run;
    void run.execute().then((done) => {
      if (current === run) current = undefined;
      // Linear memory never shrinks: a worker whose memory grew far gives it back by being replaced.
      post(wasmMemory.buffer.byteLength > wasmMemoryBytes * 0.75 ? { ...done, retire: true } : done);
    });
  }
});
post({ type: 'ready' });

/** The variant package's default export (its typings are CommonJS, its ES build exports `default`). */
async function loadVariant(): Promise<QuickJSSyncVariant> {
  const loaded: unknown = await import('@jitl/quickjs-wasmfile-release-sync');
  const candidates = [loaded, (loaded as { default?: unknown }).default, (loaded as { default?: { default?: unknown } }).default?.default];
  const variant = candidates.find((candidate): candidate is QuickJSSyncVariant => typeof candidate === 'object' && candidate !== null && (candidate as { type?: unknown }).type === 'sync');
  if (variant === undefined) throw new Error('@jitl/quickjs-wasmfile-release-sync did not export a sync variant');
  return variant;
}
