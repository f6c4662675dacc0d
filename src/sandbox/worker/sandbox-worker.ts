/*
 * Entry of a sandbox worker thread. It loads the QuickJS WebAssembly module once and runs one request
 * at a time, each in a fresh QuickJS runtime. The host kills the whole thread when a run overstays its
 * wall-clock limit, so even a long native operation inside the engine cannot hold the host.
 */
import { parentPort } from 'node:worker_threads';
import { newQuickJSWASMModuleFromVariant } from 'quickjs-emscripten-core';
import type { HostToWorker, WorkerToHost } from '../protocol.js';
import { GuestRun } from './guest-run.js';

const port = parentPort;
if (port === null) throw new Error('sandbox-worker.js must run in a worker thread');

// The dynamic import hands over the module namespace (`{ default: variant }`), which both the CommonJS
// typings of the variant package and its ES module build agree on.
const module = await newQuickJSWASMModuleFromVariant(import('@jitl/quickjs-wasmfile-release-sync'));
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
      post(done);
    });
  }
});
post({ type: 'ready' });
