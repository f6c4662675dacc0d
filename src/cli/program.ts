import { Command } from 'commander';
import { registerActionsCommand } from './commands/actions.js';
import { registerBatchCommand } from './commands/batch.js';
import { registerBenchCommand } from './commands/bench.js';
import { registerBenchRetrievalCommand } from './commands/bench-retrieval.js';
import { registerIndexCommand } from './commands/index-command.js';
import { registerSearchCommand } from './commands/search.js';
import { registerDemoCommand } from './commands/demo.js';
import { registerDiffCommand } from './commands/diff.js';
import { registerExportCommand } from './commands/export.js';
import { registerForkCommand } from './commands/fork.js';
import { registerInspectCommand } from './commands/inspect.js';
import { registerPolicyCommand } from './commands/policy.js';
import { registerPlanCommand } from './commands/plan.js';
import { registerModelCommand } from './commands/model.js';
import { registerReplayCommand } from './commands/replay.js';
import { registerRunsCommand } from './commands/runs.js';
import { registerServeMcpCommand } from './commands/serve-mcp.js';
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
    .option('--config <file>', 'configuration file (default: arbor.config.{ts,mts,js,mjs,json} in the working directory, or ARBOR_CONFIG)')
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
  // The config's environment must be registered before any command looks an environment up by name.
  program.hook('preAction', async () => {
    await cli.config();
  });
  registerDemoCommand(program, cli);
  registerRunsCommand(program, cli);
  registerShowCommand(program, cli);
  registerReplayCommand(program, cli);
  registerForkCommand(program, cli);
  registerDiffCommand(program, cli);
  registerExportCommand(program, cli);
  registerActionsCommand(program, cli);
  registerServeMcpCommand(program, cli);
  registerInspectCommand(program, cli);
  registerSearchCommand(program, cli);
  registerIndexCommand(program, cli);
  registerPolicyCommand(program, cli);
  registerPlanCommand(program, cli);
  registerBenchCommand(program, cli);
  registerBenchRetrievalCommand(program, cli);
  registerModelCommand(program, cli);
  registerWorkerCommand(program, cli);
  registerBatchCommand(program, cli);
  return { program, cli };
}
