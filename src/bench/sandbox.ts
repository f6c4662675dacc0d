import { performance } from 'node:perf_hooks';
import { z } from 'zod';
import { ActionSpace, defineAction } from '../actions/index.js';
import { Executor } from '../execution/index.js';
import { createTempStore } from '../internal/temp-store.js';
import { createRunCodeAction, Sandbox } from '../sandbox/index.js';
import type { Benchmark } from './benchmark.js';

/**
 * Cost of a tool call made from sandboxed code, against the same no-op tool called directly through the
 * executor (`run.execute`) and as a nested step from a TypeScript action (`ctx.call`), with recording on
 * and off, interleaved in rounds so machine noise hits all alike. Also the fixed cost of one code step
 * that calls nothing (a fresh QuickJS runtime on a warm worker).
 */
export const sandboxBenchmark: Benchmark = {
  name: 'sandbox',
  description: 'µs per no-op tool call from sandboxed code vs a direct executor call (ratio), and the fixed cost of a code step',
  async run({ full, log }) {
    const calls = full ? 5_000 : 1_000;
    const rounds = full ? 5 : 3;
    const temp = createTempStore('arbor-bench-sandbox-');
    const sandbox = new Sandbox({ limits: { toolCalls: calls, timeMs: 600_000, cpuTicks: 10_000_000 } });
    try {
      const actions = new ActionSpace([
        defineAction({ name: 'noop', description: 'Does nothing.', input: z.object({ i: z.number() }), effect: 'read', run: ({ i }) => ({ i }) }),
        defineAction({
          name: 'loop_in_typescript',
          description: 'Calls noop n times as nested steps.',
          input: z.object({ n: z.number().int() }),
          effect: 'read',
          run: async ({ n }, ctx) => {
            for (let i = 0; i < n; i++) await ctx.call('noop', { i });
            return n;
          },
        }),
      ]);
      actions.add(createRunCodeAction({ actions, sandbox, effect: 'read', timeoutMs: 600_000 }));
      const executor = new Executor({ store: temp.store, actions });
      const loopCode = `for (let i = 0; i < ${calls}; i++) await tools.noop({ i });\nreturn ${calls};`;

      const time = async (record: boolean, body: (run: Awaited<ReturnType<Executor['startRun']>>) => Promise<void>) => {
        const run = await executor.startRun({ task: 'bench', record });
        const started = performance.now();
        await body(run);
        const elapsed = performance.now() - started;
        await run.end();
        return elapsed;
      };
      const expectOk = (result: { ok: boolean; error: { message: string } | null }) => {
        if (!result.ok) throw new Error(`benchmark step failed: ${result.error?.message}`);
      };
      const measures = {
        direct: (record: boolean) =>
          time(record, async (run) => {
            for (let i = 0; i < calls; i++) expectOk(await run.execute('noop', { i }));
          }),
        nested: (record: boolean) => time(record, async (run) => expectOk(await run.execute('loop_in_typescript', { n: calls }))),
        sandboxed: (record: boolean) => time(record, async (run) => expectOk(await run.execute('run_code', { code: loopCode }))),
        emptyCode: (record: boolean) =>
          time(record, async (run) => {
            for (let i = 0; i < 20; i++) expectOk(await run.execute('run_code', { code: 'return 1;' }));
          }),
      };
      type Name = keyof typeof measures;
      const samples: Record<string, number[]> = {};
      for (const record of [true, false]) for (const name of Object.keys(measures) as Name[]) await measures[name](record); // warm-up
      for (let round = 0; round < rounds; round++) {
        for (const record of [true, false]) {
          for (const name of Object.keys(measures) as Name[]) {
            const key = `${name}:${record ? 'recorded' : 'unrecorded'}`;
            (samples[key] ??= []).push(await measures[name](record));
          }
        }
      }
      const best = (key: string) => Math.min(...(samples[key] ?? [Number.NaN]));
      const perCall = (key: string) => (best(key) * 1000) / calls;
      const result: Record<string, unknown> = { calls, rounds };
      log(`sandbox: ${calls} no-op tool calls per measure, best of ${rounds} interleaved rounds`);
      for (const mode of ['recorded', 'unrecorded'] as const) {
        const direct = perCall(`direct:${mode}`);
        const nested = perCall(`nested:${mode}`);
        const sandboxed = perCall(`sandboxed:${mode}`);
        const emptyMs = best(`emptyCode:${mode}`) / 20;
        log(`  ${mode}:`);
        log(`    direct run.execute        ${direct.toFixed(1)} µs/call`);
        log(`    nested ctx.call (TS)      ${nested.toFixed(1)} µs/call`);
        log(`    from sandboxed code       ${sandboxed.toFixed(1)} µs/call   ratio ${(sandboxed / direct).toFixed(2)}x direct, ${(sandboxed / nested).toFixed(2)}x nested`);
        log(`    code step calling nothing ${emptyMs.toFixed(2)} ms/step (fresh QuickJS runtime on a warm worker)`);
        result[mode] = { directMicrosPerCall: direct, nestedMicrosPerCall: nested, sandboxedMicrosPerCall: sandboxed, ratioToDirect: sandboxed / direct, ratioToNested: sandboxed / nested, emptyCodeStepMs: emptyMs };
      }
      return result;
    } finally {
      await sandbox.close();
      await temp.cleanup();
    }
  },
};
