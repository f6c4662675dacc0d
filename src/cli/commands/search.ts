import { readFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { ActionSpace, type AnyAction } from '../../actions/index.js';
import { UsageError } from '../../errors/index.js';
import { importOpenApi } from '../../openapi/index.js';
import { loadExperience, ToolIndex, type RetrievalStrategy } from '../../retrieval/index.js';
import type { CliContext } from '../context.js';
import { renderTable } from '../format.js';

interface SearchCommandOptions {
  k: string;
  environment: string;
  openapi?: string[];
  strategy: 'lexical' | 'grouped';
  groups: string;
  explain?: boolean;
  experience: boolean;
}

/** The action space `arbor search` looks in: an environment's actions, plus any OpenAPI documents given. */
export async function searchSpace(cli: CliContext, environmentName: string, openapiFiles: readonly string[]): Promise<ActionSpace> {
  const environment = await cli.environments.create(environmentName);
  const space = new ActionSpace([...environment.actions]);
  await environment.close?.();
  for (const file of openapiFiles) {
    let document: unknown;
    try {
      document = JSON.parse(readFileSync(file, 'utf8'));
    } catch (error) {
      throw new UsageError(`Cannot read the OpenAPI document ${file}: ${error instanceof Error ? error.message : String(error)}`, 'Pass a JSON OpenAPI 3 document.');
    }
    for (const action of importOpenApi(document).actions) space.add(action as AnyAction);
  }
  return space;
}

export function registerSearchCommand(program: Command, cli: CliContext): void {
  program
    .command('search')
    .description('Rank the actions of an environment (and OpenAPI documents) for a request')
    .argument('<query>', 'what the action should do, in words')
    .option('-k, --k <n>', 'how many actions to show', '10')
    .option('-e, --environment <name>', 'the environment whose actions to search', 'demo/orders')
    .option('--openapi <file...>', 'also search the operations of these OpenAPI 3 documents (JSON)')
    .addOption(new Option('--strategy <strategy>', 'lexical, or grouped (best groups first)').choices(['lexical', 'grouped']).default('lexical'))
    .option('--groups <n>', 'groups to draw from with --strategy grouped', '3')
    .option('--explain', 'show which fields, terms and past tasks matched')
    .option('--no-experience', 'ignore what was learned from past runs and labelled pairs')
    .action(async (query: string, options: SearchCommandOptions) => {
      const k = Number(options.k);
      if (!Number.isInteger(k) || k < 1) throw new UsageError(`--k must be a positive integer, got ${options.k}`, 'For example --k 10.');
      const space = await searchSpace(cli, options.environment, options.openapi ?? []);
      const experience = options.experience ? await loadExperience(await cli.store()) : undefined;
      const index = new ToolIndex({ actions: space, ...(experience === undefined ? {} : { experience }) });
      const result = index.searchLexical(query, { k, strategy: options.strategy as Extract<RetrievalStrategy, 'lexical' | 'grouped'>, groups: Number(options.groups), explain: options.explain === true });
      if (cli.options.json) return cli.json(result);
      for (const note of result.notes) cli.err(cli.format.style('dim', `note: ${note}`));
      if (result.groups !== undefined) cli.out(`Groups: ${result.groups.map((group) => `${group.name} (${group.size})`).join(', ')}`);
      if (result.hits.length === 0) {
        cli.out(`No action matches "${query}".`);
        return;
      }
      cli.out(
        renderTable(
          result.hits,
          [
            { header: '#', value: (hit) => String(result.hits.indexOf(hit) + 1), align: 'right' },
            { header: 'ACTION', value: (hit) => hit.name },
            { header: 'SCORE', value: (hit) => hit.score.toFixed(3), align: 'right' },
            { header: 'SOURCE', value: (hit) => hit.source.kind + (hit.source.name ? `:${hit.source.name}` : '') },
            { header: 'DESCRIPTION', value: (hit) => hit.description.split('\n')[0] ?? '', max: 60 },
          ],
          cli.format,
        ),
      );
      if (options.explain) {
        for (const hit of result.hits) {
          const fields = hit.explanation?.fields.map((field) => `${field.field} [${field.terms.join(', ')}] ${field.score.toFixed(2)}`).join('; ');
          cli.out(`${cli.format.style('bold', hit.name)}: ${fields === undefined || fields === '' ? 'no lexical match' : fields}`);
          for (const task of hit.explanation?.experience?.tasks ?? []) cli.out(`  past task (similarity ${task.similarity.toFixed(2)}): ${task.task}`);
          for (const set of hit.explanation?.experience?.sets ?? []) cli.out(`  used together in ${set.tasks} past task(s) (relative score ${set.similarity.toFixed(2)}): ${set.actions.join(', ')}`);
          for (const set of hit.explanation?.experience?.predicted ?? []) {
            const terms = set.terms.map((term) => `${term.term} ${term.weight >= 0 ? '+' : ''}${term.weight.toFixed(2)}`).join(', ');
            cli.out(`  set model (probability ${set.probability.toFixed(2)}${terms === '' ? '' : `; terms ${terms}`}): ${set.actions.join(', ')}`);
          }
        }
      }
    });
}
