import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Benchmark } from './benchmark.js';
import { mcpBenchmark } from './mcp.js';
import { inspectorBenchmark } from './inspector.js';
import { plannersBenchmark } from './planners.js';
import { recordingBenchmark } from './recording.js';
import { scaleBenchmark } from './scale.js';
import { sandboxBenchmark } from './sandbox.js';
import { retrievalBenchmark } from './retrieval/index.js';

/**
 * `npm run bench [-- <name...>] [--full] [--name=value...]`: runs the benchmarks (all by default) and writes their results
 * to bench-results/<name>.json. Each prints its figures next to a baseline measured in the same run.
 */
const benchmarks: Benchmark[] = [recordingBenchmark, plannersBenchmark, retrievalBenchmark, sandboxBenchmark, mcpBenchmark, inspectorBenchmark, scaleBenchmark];

const args = process.argv.slice(2);
const full = args.includes('--full');
const flags: Record<string, string> = {};
for (const arg of args) {
  const match = /^--([\w-]+)=(.*)$/.exec(arg);
  if (match !== null) flags[match[1]!] = match[2]!;
}
const names = args.filter((arg) => !arg.startsWith('--'));
const unknown = names.filter((name) => !benchmarks.some((benchmark) => benchmark.name === name));
if (unknown.length > 0) {
  console.error(`Unknown benchmark(s): ${unknown.join(', ')}. Known: ${benchmarks.map((b) => b.name).join(', ')}`);
  process.exit(2);
}
const selected = names.length === 0 ? benchmarks : benchmarks.filter((benchmark) => names.includes(benchmark.name));
mkdirSync('bench-results', { recursive: true });
for (const benchmark of selected) {
  console.log(`\n== ${benchmark.name}: ${benchmark.description}`);
  const result = await benchmark.run({ full, flags, log: (line) => console.log(line) });
  writeFileSync(join('bench-results', `${benchmark.name}.json`), `${JSON.stringify({ at: new Date().toISOString(), node: process.version, ...result }, null, 2)}\n`);
}
