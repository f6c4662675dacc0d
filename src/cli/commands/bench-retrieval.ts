import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Command } from 'commander';
import { runRetrievalBenchmark, type RetrievalBenchPart } from '../../bench/retrieval/index.js';
import { UsageError } from '../../errors/index.js';
import type { CliContext } from '../context.js';

const PARTS: RetrievalBenchPart[] = ['toollens', 'scale', 'tokens', 'planning'];

/** Adds `arbor bench retrieval` to the `bench` command (created when it does not exist yet). */
export function registerBenchRetrievalCommand(program: Command, cli: CliContext): void {
  const bench = program.commands.find((command) => command.name() === 'bench') ?? program.command('bench').description('Benchmarks');
  bench
    .command('retrieval')
    .description('ToolLens quality against published rows, latency at 16,000 and ~88,000 real operations against plain minisearch, tool tokens')
    .option('--part <part...>', `which parts to run (${PARTS.join(', ')})`, PARTS)
    .option('--queries <n>', 'latency queries per scale point', '1000')
    .option('--out <file>', 'where to write the JSON results', 'bench-results/retrieval.json')
    .action(async (options: { part: string[]; queries: string; out: string }) => {
      const unknown = options.part.filter((part) => !PARTS.includes(part as RetrievalBenchPart));
      if (unknown.length > 0) throw new UsageError(`Unknown benchmark part(s): ${unknown.join(', ')}`, `Use ${PARTS.join(', ')}.`);
      const queries = Number(options.queries);
      if (!Number.isInteger(queries) || queries < 1) throw new UsageError(`--queries must be a positive integer, got ${options.queries}`);
      // Progress and tables go to stderr, so stdout carries only the JSON (with --json).
      const result = await runRetrievalBenchmark({ parts: options.part as RetrievalBenchPart[], queries, log: (line) => cli.err(line) });
      mkdirSync(dirname(options.out), { recursive: true });
      writeFileSync(options.out, `${JSON.stringify({ at: new Date().toISOString(), node: process.version, ...result }, null, 2)}\n`);
      if (cli.options.json) cli.json(result);
      else cli.out(`Results written to ${options.out}`);
    });
}
