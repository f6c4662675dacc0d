import type { Command } from 'commander';
import { UsageError } from '../../errors/index.js';
import { approveAll } from '../../execution/index.js';
import type { ArborMcpServerOptions } from '../../mcp/index.js';
import { createSimulatedPolicy } from '../../policies/simulated/index.js';
import type { CliContext } from '../context.js';
import { addModelOptions, llmPolicyFromCli, modelSettingsFromCli, type ModelFlags } from '../model-options.js';

interface ServeMcpOptions extends ModelFlags {
  environment?: string;
  http?: string;
  host: string;
}

export function registerServeMcpCommand(program: Command, cli: CliContext): void {
  const command = program
    .command('serve-mcp')
    .description('Serve an action space to MCP clients through meta-tools (search_actions, describe_action, run_action), over stdio or HTTP')
    .option('-e, --environment <name>', 'the environment whose actions to serve (default: the one arbor.config defines, else demo/orders)')
    .option('--http <port>', 'serve streamable HTTP on this port (0 for any free one) instead of stdio')
    .option('--host <host>', 'interface to bind with --http', '127.0.0.1')
    .addHelpText(
      'after',
      '\nEvery run_action call is recorded in the provenance store, one run per client session.\nIrreversible actions are refused unless the client approves them (MCP elicitation) or --yes is given.\nEnvironments with tasks (fsm/*) also get plan(task): the LLM policy with a model (--model, ARBOR_MODEL,\nthe config\'s model), else the SIMULATED policy (no model is called).\n\nExamples:\n  arbor serve-mcp                  # stdio, for a client that spawns it\n  arbor serve-mcp --http 3000      # http://127.0.0.1:3000/mcp',
    );
  addModelOptions(command);
  command.action(async (options: ServeMcpOptions) => {
      const environment = await cli.environments.create(options.environment ?? (await cli.defaultEnvironment()));
      try {
        const { serveActionsOverHttp, serveActionsOverStdio } = await import('../../mcp/serve.js');
        const store = await cli.store();
        const config = await cli.config();
        // The config's stages, masks and policy guard every run_action call; an "ask" rule is approved by --yes only.
        const guards = config === undefined ? undefined : (await import('../../guards/index.js')).guardsFromConfig(config.config, { store, ...(cli.options.yes ? { approval: approveAll } : {}) });
        const serverOptions: ArborMcpServerOptions = {
          actions: environment.actions,
          store,
          environment: { name: environment.name, observe: () => environment.observe() },
          approval: cli.options.yes ? 'all' : 'elicit',
          ...(guards === undefined ? {} : { guards: guards.guards }),
        };
        if ((environment.tasks ?? []).length > 0) {
          const settings = modelSettingsFromCli(cli, options);
          serverOptions.planning = {
            environment,
            createEnvironment: () => cli.environments.create(environment.name),
            policy: settings === undefined ? createSimulatedPolicy({ tasks: environment.tasks ?? [] }) : await llmPolicyFromCli(cli, settings, environment.actions),
          };
        }
        if (options.http === undefined) {
          // stdout carries the protocol: everything for people goes to stderr.
          cli.err(`arbor serve-mcp: serving ${environment.actions.size} actions of "${environment.name}" over stdio`);
          await serveActionsOverStdio(serverOptions);
          return;
        }
        const port = Number(options.http);
        if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--http "${options.http}" is not a port number`, 'Use 0-65535 (0 picks a free port).');
        const host = await serveActionsOverHttp({ ...serverOptions, port, host: options.host });
        cli.out(`Serving ${environment.actions.size} actions of "${environment.name}" at ${host.url} (Ctrl-C to stop)`);
        await new Promise<void>((resolve) => {
          process.once('SIGINT', resolve);
          process.once('SIGTERM', resolve);
        });
        await host.close();
      } finally {
        await environment.close?.();
      }
    });
}
