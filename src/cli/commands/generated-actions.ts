import type { GeneratedActionRecord } from '../../provenance/index.js';
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
