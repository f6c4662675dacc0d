import { performance } from 'node:perf_hooks';
import { z } from 'zod';
import { ActionSpace, defineAction } from '../actions/index.js';
import { Executor } from '../execution/index.js';
import { createTempStore } from '../internal/temp-store.js';
import { replay } from '../replay/index.js';
import type { Benchmark } from './benchmark.js';

const STEPS = 10_000;

/**
 * Recording overhead: the same 10,000 no-op steps through the executor with recording on (SQLite file,
 * WAL, one commit per step) and off, interleaved in rounds so machine noise hits both alike; then the time
 * to replay the recorded 10,000-step run in reuse mode.
 */
export const recordingBenchmark: Benchmark = {
  name: 'recording',
  description: 'µs per recorded step vs unrecorded, and reuse-replay time of a 10,000-step run',
  async run({ full, log }) {
    const rounds = full ? 5 : 3;
    const temp = createTempStore('arbor-bench-');
    try {
      const noop = defineAction({ name: 'noop', description: 'Does nothing.', input: z.object({ i: z.number() }), effect: 'write', run: ({ i }) => ({ i }) });
      const executor = new Executor({ store: temp.store, actions: new ActionSpace([noop]) });
      const measure = async (record: boolean) => {
        const run = await executor.startRun({ task: 'bench', record });
        const started = performance.now();
        for (let i = 0; i < STEPS; i++) await run.execute('noop', { i });
        const elapsed = performance.now() - started;
        await run.end();
        return { elapsed, runId: run.id };
      };
      await measure(false); // warm-up: JIT, prepared statements
      await measure(true);
      const recorded: number[] = [];
      const unrecorded: number[] = [];
      let lastRunId = '';
      for (let round = 0; round < rounds; round++) {
        const withRecording = await measure(true);
        recorded.push(withRecording.elapsed);
        lastRunId = withRecording.runId;
        unrecorded.push((await measure(false)).elapsed);
      }
      const best = (values: number[]) => Math.min(...values);
      const recordedUs = (best(recorded) * 1000) / STEPS;
      const unrecordedUs = (best(unrecorded) * 1000) / STEPS;
      log(`recording: ${STEPS} no-op steps, best of ${rounds} interleaved rounds`);
      log(`  recorded   ${recordedUs.toFixed(1)} µs/step   (target < 100 µs)`);
      log(`  unrecorded ${unrecordedUs.toFixed(1)} µs/step`);
      log(`  overhead   ${(recordedUs - unrecordedUs).toFixed(1)} µs/step, ratio ${(recordedUs / unrecordedUs).toFixed(2)}x`);

      const replays: number[] = [];
      for (let round = 0; round < rounds; round++) {
        const report = await replay(temp.store, lastRunId, { mode: 'reuse' });
        if (report.reused !== STEPS) throw new Error(`reuse replay returned ${report.reused} steps, expected ${STEPS}`);
        replays.push(report.durationMs);
      }
      log(`  reuse replay of ${STEPS} steps: ${best(replays).toFixed(0)} ms (target < 1000 ms)`);
      return {
        steps: STEPS,
        recordedMicrosPerStep: recordedUs,
        unrecordedMicrosPerStep: unrecordedUs,
        ratio: recordedUs / unrecordedUs,
        reuseReplayMs: best(replays),
      };
    } finally {
      await temp.cleanup();
    }
  },
};
