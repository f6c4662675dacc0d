import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { UsageError } from '../../errors/index.js';
import { learnFromRuns, loadExperience, parsePairs, saveExperience } from '../../retrieval/index.js';
import type { CliContext } from '../context.js';

export function registerIndexCommand(program: Command, cli: CliContext): void {
  const index = program.command('index').description('Manage what retrieval has learned (experience)');

  index
    .command('learn')
    .description('Learn which actions serve which requests, from labelled pairs (JSONL) and/or successful recorded runs')
    .argument('[pairs]', 'a JSONL file of {"query": "...", "actions": ["name", ...]} lines')
    .option('--runs', 'also learn from the successful runs recorded in the store')
    .action(async (file: string | undefined, options: { runs?: boolean }) => {
      if (file === undefined && options.runs !== true) throw new UsageError('Nothing to learn from', 'Pass a pairs file (arbor index learn pairs.jsonl), --runs, or both.');
      let pairs: ReturnType<typeof parsePairs> = [];
      if (file !== undefined) {
        let text: string;
        try {
          text = readFileSync(file, 'utf8');
        } catch (error) {
          throw new UsageError(`Cannot read ${file}: ${error instanceof Error ? error.message : String(error)}`, 'Pass the path of a JSONL file.');
        }
        // Parsed in full first: a malformed line leaves the memory untouched.
        pairs = parsePairs(text, file);
      }
      const store = await cli.store();
      const memory = await loadExperience(store);
      const before = memory.size;
      for (const pair of pairs) memory.add(pair.query, pair.actions, `pairs:${file}`);
      const fromRuns = options.runs === true ? await learnFromRuns(store, memory) : { runs: 0, tasks: 0 };
      await saveExperience(store, memory);
      const summary = { pairs: pairs.length, runs: fromRuns.runs, runTasks: fromRuns.tasks, tasksBefore: before, tasksNow: memory.size };
      if (cli.options.json) return cli.json(summary);
      cli.out(`Learned ${pairs.length} labelled pair(s) and ${fromRuns.tasks} task(s) from ${fromRuns.runs} new run(s); the memory holds ${memory.size} task(s) (was ${before}).`);
    });

  index
    .command('show')
    .description('Show the remembered tasks of one action, or a summary')
    .argument('[action]', 'an action name')
    .action(async (action: string | undefined) => {
      const memory = await loadExperience(await cli.store());
      const entries = action === undefined ? memory.entries() : memory.tasksFor(action);
      if (cli.options.json) return cli.json(entries);
      if (entries.length === 0) return cli.out(action === undefined ? 'Nothing learned yet.' : `Nothing learned for ${action}.`);
      for (const entry of entries.slice(0, 50)) cli.out(`${entry.task}  →  ${entry.actions.join(', ')}${entry.count > 1 ? ` (×${entry.count})` : ''}`);
      if (entries.length > 50) cli.out(`… and ${entries.length - 50} more (--json for all)`);
    });
}
