import { Command } from 'commander';
import { registerActionsCommand } from './commands/actions.js';
import { registerBatchCommand } from './commands/batch.js';
import { registerDemoCommand } from './commands/demo.js';
import { registerDiffCommand } from './commands/diff.js';
import { registerExportCommand } from './commands/export.js';
import { registerForkCommand } from './commands/fork.js';
import { registerPlanCommand } from './commands/plan.js';
import { registerBenchCommand } from './commands/bench.js';
import { registerModelCommand } from './commands/model.js';
import { registerReplayCommand } from './commands/replay.js';
import { registerRunsCommand } from './commands/runs.js';
import { registerShowCommand } from './commands/show.js';
import { registerWorkerCommand } from './commands/worker.js';
import { CliContext, type CliIo } from './context.js';
import { VERSION } from '../version.js';

/** Builds the `arbor` program. Every command is a thin layer over a library call. */
export function createProgram(io: CliIo): { program: Command; cli: CliContext } {
  const program = new Command('arbor')
    .description('Tool-using agents in large action spaces: search, record, replay.')
    .version(VERSION)
    .option('--store <location>', 'provenance store: a SQLite file path (default .arbor/arbor.db) or postgres://… (also ARBOR_STORE)')
    .option('--json', 'print machine-readable JSON on stdout')
    .option('-y, --yes', 'pre-approve irreversible actions')
    .option('--debug', 'print stack traces on errors')
    .option('--no-color', 'disable colours (also NO_COLOR)')
    .showSuggestionAfterError(true)
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
    })
    .exitOverride();
  const cli = new CliContext(program, io);
  registerDemoCommand(program, cli);
  registerRunsCommand(program, cli);
  registerShowCommand(program, cli);
  registerReplayCommand(program, cli);
  registerForkCommand(program, cli);
  registerDiffCommand(program, cli);
  registerExportCommand(program, cli);
  registerActionsCommand(program, cli);
  registerPlanCommand(program, cli);
  registerBenchCommand(program, cli);
  registerModelCommand(program, cli);
  registerWorkerCommand(program, cli);
  registerBatchCommand(program, cli);
  return { program, cli };
}
