import { Option, type Command } from 'commander';
import { EFFECTS, type Effect } from '../../actions/index.js';
import type { CliContext } from '../context.js';
import { renderTable } from '../format.js';
import { registerActionsImportCommand } from './actions-import.js';
import { listGeneratedActions, saveGeneratedAction, showGeneratedAction, type SaveCommandOptions } from './generated-actions.js';

export function registerActionsCommand(program: Command, cli: CliContext): void {
  const actions = program.command('actions').description('Inspect the action space');

  actions
    .command('list')
    .description('List the actions of an environment, with where each came from (TypeScript, MCP server, OpenAPI document)')
    .option('-e, --environment <name>', 'the environment whose actions to list (default: the one arbor.config defines, else demo/orders)')
    .addOption(new Option('--effect <effect>', 'only actions with this effect').choices([...EFFECTS]))
    .option('--generated', 'list the saved (generated) actions of the action library instead')
    .action(async (options: { environment?: string; effect?: Effect; generated?: boolean }) => {
      if (options.generated) return listGeneratedActions(cli);
      const environment = await cli.environments.create(options.environment ?? (await cli.defaultEnvironment()));
      const list = environment.actions.list(options.effect ? { effect: options.effect } : {});
      const describe = (name: string) => environment.actions.describe(name);
      const descriptors = cli.options.json ? list.map((action) => describe(action.name)) : [];
      await environment.close?.();
      if (cli.options.json) return cli.json(descriptors);
      cli.out(
        renderTable(
          list,
          [
            { header: 'ACTION', value: (action) => action.name },
            { header: 'EFFECT', value: (action) => action.effect },
            { header: 'COST', value: (action) => String(action.cost), align: 'right' },
            { header: 'SOURCE', value: (action) => action.source.kind + (action.source.name ? `:${action.source.name}` : '') },
            { header: 'DESCRIPTION', value: (action) => action.description, max: 70 },
          ],
          cli.format,
        ),
      );
    });

  actions
    .command('show')
    .description('Show one action: effect, cost, preconditions and input schema (for a saved action: its source and origin)')
    .argument('<name>', 'action name (a saved action may be given as name@version)')
    .option('-e, --environment <name>', 'the environment the action belongs to (default: the one arbor.config defines, else demo/orders)')
    .option('--json-schema', 'print only the JSON Schema of its input')
    .action(async (name: string, options: { environment?: string; jsonSchema?: boolean }) => {
      const environment = await cli.environments.create(options.environment ?? (await cli.defaultEnvironment()));
      let descriptor;
      try {
        // A saved (generated) action: show its source and where it came from.
        if (!environment.actions.has(name) && (await showGeneratedAction(cli, name, options))) return;
        descriptor = environment.actions.describe(name);
      } finally {
        // MCP-backed environments hold server processes: release them even when the name is unknown.
        await environment.close?.();
      }
      if (options.jsonSchema) return cli.json(descriptor.inputSchema);
      if (cli.options.json) return cli.json(descriptor);
      cli.out(`${cli.format.style('bold', descriptor.name)}  (${descriptor.effect}, cost ${descriptor.cost}${descriptor.reversible ? ', reversible' : ''}${descriptor.inverse ? `, undone by ${descriptor.inverse}` : ''})`);
      cli.out(descriptor.description);
      cli.out(`Source: ${descriptor.source.kind}${descriptor.source.name ? `:${descriptor.source.name}` : ''}${descriptor.group ? `, group ${descriptor.group}` : ''}`);
      if (descriptor.tags.length > 0) cli.out(`Tags: ${descriptor.tags.join(', ')}`);
      if (descriptor.preconditions.length > 0) cli.out(`Preconditions: ${descriptor.preconditions.join(', ')}`);
      cli.out('Input schema:');
      cli.out(JSON.stringify(descriptor.inputSchema, null, 2));
    });

  registerActionsImportCommand(actions, cli);

  actions
    .command('save')
    .description('Save a function as a new (generated) action of the library, or as its next version')
    .argument('<name>', 'name of the action')
    .requiredOption('-f, --file <path>', 'a .js file holding one function: async function ({ a, b }) { ... }')
    .requiredOption('-d, --description <text>', 'what the action does, for choosing it among many')
    .option('--input-schema <json>', 'JSON Schema of the input (default: inferred from the parameter)')
    .option('--example <json>', 'an example input, to infer the schema types')
    .addOption(new Option('--effect <effect>', 'its effect, which also bounds the tools it may call (default write)').choices([...EFFECTS]))
    .option('--tag <tag...>', 'tags')
    .option('--from <run[:step]>', 'the run it came from, and the run_code step (seq or id) in which it worked')
    .action((name: string, options: SaveCommandOptions) => saveGeneratedAction(cli, name, options));
}
