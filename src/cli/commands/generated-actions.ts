import { readFile } from 'node:fs/promises';
import type { Effect } from '../../actions/index.js';
import { UsageError } from '../../errors/index.js';
import type { JsonObject, JsonValue } from '../../internal/json.js';
import { resolveRunId, type GeneratedActionRecord } from '../../provenance/index.js';
import type { CliContext } from '../context.js';
import { formatTime, renderTable } from '../format.js';

/** `arbor actions list --generated`: the latest version of every saved action, with where it came from. */
export async function listGeneratedActions(cli: CliContext): Promise<void> {
  const records = await (await cli.store()).listGeneratedActions();
  if (cli.options.json) return cli.json(records);
  if (records.length === 0) {
    cli.out('No saved actions yet. An agent saves one with save_action after a run_code step that worked.');
    return;
  }
  cli.out(
    renderTable(
      records,
      [
        { header: 'ACTION', value: (record) => record.name },
        { header: 'VERSION', value: (record) => String(record.version), align: 'right' },
        { header: 'EFFECT', value: (record) => record.effect },
        { header: 'BY', value: (record) => record.createdBy },
        { header: 'ORIGIN RUN', value: (record) => record.originRunId ?? '-' },
        { header: 'DESCRIPTION', value: (record) => record.description, max: 60 },
      ],
      cli.format,
    ),
  );
}

/**
 * `arbor actions show <name>[@version]` for a saved action: its version, effect, origin (run and code
 * step), schema and source. Returns false when no saved action has that name.
 */
export async function showGeneratedAction(cli: CliContext, ref: string, options: { jsonSchema?: boolean } = {}): Promise<boolean> {
  const [, name = ref, version] = /^(.+)@(\d+)$/.exec(ref) ?? [];
  const store = await cli.store();
  const record = await store.getGeneratedAction(name, version === undefined ? undefined : Number(version));
  if (record === undefined) return false;
  if (options.jsonSchema) {
    cli.json(record.inputSchema);
    return true;
  }
  const versions = (await store.listGeneratedActions({ name })).length;
  if (cli.options.json) {
    cli.json({ ...record, versions });
    return true;
  }
  const { format } = cli;
  cli.out(`${format.style('bold', `${record.name}@${record.version}`)}  (generated, ${record.effect}; ${versions} version${versions === 1 ? '' : 's'})`);
  cli.out(record.description);
  cli.out(`Origin: ${origin(record)}`);
  cli.out(`Saved: ${formatTime(record.createdAt)} by ${record.createdBy}, code sha256 ${record.codeHash.slice(0, 12)}`);
  if (record.tags.length > 0) cli.out(`Tags: ${record.tags.join(', ')}`);
  cli.out('Input schema:');
  cli.out(JSON.stringify(record.inputSchema, null, 2));
  cli.out('Source:');
  cli.out(record.code);
  return true;
}

function origin(record: GeneratedActionRecord): string {
  if (record.originRunId === null) return 'saved outside any run';
  const step = record.originStepId === null ? '' : `, code step ${record.originStepId}`;
  return `run ${record.originRunId}${step} (inspect it with "arbor show ${record.originRunId}")`;
}

export interface SaveCommandOptions {
  file: string;
  description: string;
  inputSchema?: string;
  example?: string;
  effect?: Effect;
  tag?: string[];
  /** `<run>` or `<run>:<step>`: the run it came from and the code step in which it worked. */
  from?: string;
}

/** `arbor actions save <name> --file f.js --description text`: a user saves a function to the library. */
export async function saveGeneratedAction(cli: CliContext, name: string, options: SaveCommandOptions): Promise<void> {
  const code = await readFile(options.file, 'utf8').catch((error: unknown) => {
    throw new UsageError(`Cannot read ${options.file}: ${error instanceof Error ? error.message : String(error)}`, 'Pass --file with the path of a .js file holding one function.');
  });
  const store = await cli.store();
  let origin: { runId: string; step?: string } | undefined;
  if (options.from !== undefined) {
    const [runRef = '', step] = options.from.split(':');
    origin = { runId: await resolveRunId(store, runRef), ...(step === undefined || step === '' ? {} : { step }) };
  }
  const { ActionLibrary } = await import('../../library/index.js');
  const { record, created } = await new ActionLibrary({ store }).save({
    name,
    description: options.description,
    code,
    ...(options.inputSchema === undefined ? {} : { inputSchema: parseJsonOption('--input-schema', options.inputSchema) as JsonObject }),
    ...(options.example === undefined ? {} : { example: parseJsonOption('--example', options.example) }),
    ...(options.effect === undefined ? {} : { effect: options.effect }),
    ...(options.tag === undefined ? {} : { tags: options.tag }),
    ...(origin === undefined ? {} : { origin }),
    createdBy: 'user',
  });
  if (cli.options.json) return cli.json({ ...record, created });
  cli.out(created ? `Saved ${record.name}@${record.version} (${record.effect}).` : `${record.name}@${record.version} already holds this function; nothing saved.`);
  cli.out(`See it with "arbor actions show ${record.name}".`);
}

function parseJsonOption(flag: string, text: string): JsonValue {
  try {
    return JSON.parse(text) as JsonValue;
  } catch {
    throw new UsageError(`${flag} is not valid JSON`, `Quote it for the shell, for example ${flag} '{"orderIds":["ord-1"]}'.`);
  }
}
