import type { JsonObject, JsonValue } from '../internal/json.js';
import type { RunRecord, SearchNodeRecord, StepRecord, Store } from '../provenance/index.js';
import type { CliCommandView, DivergenceView, ModelCallView, PolicyCallView, RunView, SearchNodeView, StepSummaryView, StepView } from './api-types.js';

const PREVIEW_CHARS = 120;

export function runView(run: RunRecord, stepCount: number, hasSearch: boolean): RunView {
  const replayOf = typeof run.metadata.replayOf === 'string' ? run.metadata.replayOf : null;
  return {
    id: run.id,
    status: run.status,
    task: run.task,
    environment: run.environment,
    parentRunId: run.parentRunId,
    forkSeq: run.forkSeq,
    createdAt: run.createdAt,
    endedAt: run.endedAt,
    metadata: run.metadata,
    stepCount,
    kind: replayOf !== null ? 'replay' : run.parentRunId !== null ? 'fork' : 'run',
    replayOf,
    divergence: divergenceOf(run.metadata.divergence),
    hasSearch,
  };
}

function divergenceOf(value: JsonValue | undefined): DivergenceView | null {
  if (value === undefined || value === null || typeof value !== 'object' || Array.isArray(value)) return null;
  const text = (key: string) => (typeof value[key] === 'string' ? (value[key] as string) : null);
  const seq = value.seq;
  if (typeof seq !== 'number') return null;
  return {
    seq,
    stepId: text('stepId') ?? '',
    action: text('action') ?? '',
    reason: text('reason') ?? '',
    expectedHash: text('expectedHash'),
    actualHash: text('actualHash'),
    expectedStatus: text('expectedStatus') ?? '',
    actualStatus: text('actualStatus'),
  };
}

export function preview(value: unknown): string {
  if (value === undefined) return '';
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text.length > PREVIEW_CHARS ? `${text.slice(0, PREVIEW_CHARS - 1)}…` : text;
}

export function stepSummary(step: StepRecord): StepSummaryView {
  return {
    id: step.id,
    runId: step.runId,
    seq: step.seq,
    parentStepId: step.parentStepId,
    depth: step.depth,
    kind: step.kind,
    action: step.action,
    effect: step.effect,
    status: step.status,
    startedAt: step.startedAt,
    durationUs: step.durationUs,
    attempt: step.attempt,
    error: step.error === null ? null : { code: step.error.code, message: step.error.message, ...(step.error.hint === undefined ? {} : { hint: step.error.hint }) },
    inputPreview: preview(step.input),
    outputPreview: step.error !== null && step.output === undefined ? preview(step.error.code) : preview(step.output),
  };
}

export function stepView(step: StepRecord): StepView {
  return {
    ...stepSummary(step),
    input: step.input,
    inputHash: step.inputHash,
    ...(step.output === undefined ? {} : { output: step.output }),
    outputHash: step.outputHash,
    endedAt: step.endedAt,
    nondeterminism: step.nondeterminism.map((value) => ({ kind: value.kind, ...(value.key === undefined ? {} : { key: value.key }), value: value.value })),
    metadata: step.metadata,
  };
}

export function searchNodeView(node: SearchNodeRecord): SearchNodeView {
  return {
    id: node.nodeId,
    parentId: node.parentId,
    depth: node.depth,
    action: node.action,
    status: node.status,
    g: node.g,
    h: node.h,
    value: node.value,
    visits: node.visits,
    chosen: node.data.chosen === true,
    effect: typeof node.data.effect === 'string' ? node.data.effect : null,
    commit: node.data.commit === true,
    goal: node.data.goal === true,
  };
}

interface ModelCallRef {
  id: string;
  namespace: string;
  purpose: string | null;
  model: string | null;
}

/**
 * Model-call references anywhere in a record's data: objects with a string `id` and `namespace` (what
 * policies report as `calls`, pointing into the store's response cache), looked for a few levels deep.
 */
export function modelCallRefs(data: JsonObject, limit = 20): ModelCallRef[] {
  const refs: ModelCallRef[] = [];
  const seen = new Set<string>();
  const visit = (value: JsonValue, depth: number) => {
    if (refs.length >= limit || depth > 4 || value === null || typeof value !== 'object') return;
    if (Array.isArray(value)) {
      for (const item of value) visit(item, depth + 1);
      return;
    }
    if (typeof value.id === 'string' && typeof value.namespace === 'string') {
      const key = `${value.namespace}\u0000${value.id}`;
      if (!seen.has(key)) {
        seen.add(key);
        refs.push({
          id: value.id,
          namespace: value.namespace,
          purpose: typeof value.purpose === 'string' ? value.purpose : null,
          model: typeof value.model === 'string' ? value.model : null,
        });
      }
      return;
    }
    for (const item of Object.values(value)) visit(item, depth + 1);
  };
  visit(data, 0);
  return refs;
}

/** Reads the prompt, answer and usage of referenced model calls from the store's response cache. */
export async function resolveModelCalls(store: Store, data: JsonObject): Promise<ModelCallView[]> {
  return Promise.all(
    modelCallRefs(data).map(async (ref): Promise<ModelCallView> => {
      const text = await store.getCached(ref.namespace, ref.id);
      let record: JsonObject | undefined;
      try {
        const parsed = text === undefined ? undefined : (JSON.parse(text) as JsonValue);
        record = parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? parsed : undefined;
      } catch {
        record = undefined;
      }
      const model = record?.model;
      const modelName =
        ref.model ??
        (model !== null && typeof model === 'object' && !Array.isArray(model) && typeof model.modelId === 'string'
          ? `${typeof model.provider === 'string' ? `${model.provider}:` : ''}${model.modelId}`
          : null);
      return {
        ...ref,
        purpose: ref.purpose ?? (typeof record?.purpose === 'string' ? record.purpose : null),
        model: modelName,
        found: record !== undefined,
        request: record?.request ?? null,
        response: record?.result ?? record?.response ?? null,
        usage: record?.usage ?? null,
      };
    }),
  );
}

/** Quotes an argument for a POSIX shell when it needs it. */
export function shellQuote(argument: string): string {
  if (/^[A-Za-z0-9_./:@%+=,-]+$/.test(argument)) return argument;
  return `'${argument.replace(/'/g, `'\\''`)}'`;
}

/** Builds the CLI commands shown beside runs and steps; `prefix` is `arbor` plus any --store flag. */
export class Commands {
  readonly #prefix: string;

  constructor(prefix: string) {
    this.#prefix = prefix;
  }

  #command(...args: string[]): string {
    return [this.#prefix, ...args.map(shellQuote)].join(' ');
  }

  forRun(run: RunRecord): CliCommandView[] {
    const noEnvironment = run.environment === null ? { note: 'This run did not record its environment: only reuse mode works.' } : {};
    return [
      { label: 'Show the steps', command: this.#command('show', run.id) },
      { label: 'Replay and verify', command: this.#command('replay', run.id, '--mode', 'verify'), ...noEnvironment },
      { label: 'Replay from the record', command: this.#command('replay', run.id, '--mode', 'reuse') },
      { label: 'Export as JSON', command: this.#command('export', run.id) },
    ];
  }

  forStep(run: RunRecord, step: StepRecord): CliCommandView[] {
    const commands: CliCommandView[] = [{ label: 'Replay the run and verify', command: this.#command('replay', run.id, '--mode', 'verify') }];
    const fork: CliCommandView = {
      label: `Fork from step ${step.seq} (edit the input)`,
      command: this.#command('fork', step.runId, '--at', String(step.seq), '--input', JSON.stringify(step.input)),
    };
    if (step.depth !== 0 || step.kind !== 'action') fork.note = 'Only top-level action steps can be forked from; fork from the calling step.';
    else if (run.environment === null) fork.note = 'This run did not record its environment, so it cannot be forked.';
    commands.push(fork);
    return commands;
  }

  diff(left: string, right: string): CliCommandView[] {
    return [{ label: 'Compare in the terminal', command: this.#command('diff', left, right) }];
  }
}

/**
 * The policy calls a planner logged about a node, read from the blob `run.metadata.policyLog` names. A
 * call's request starts with the id of the node it was made at (`12:…`); an evaluation lists the children
 * it scored (`12:13,14,15`).
 */
export async function policyCallsFor(store: Store, run: RunRecord, node: SearchNodeRecord, limit = 20): Promise<PolicyCallView[]> {
  const hash = run.metadata.policyLog;
  if (typeof hash !== 'string') return [];
  const text = await store.getBlob(hash);
  if (text === undefined) return [];
  let log: JsonValue;
  try {
    log = JSON.parse(text) as JsonValue;
  } catch {
    return [];
  }
  if (!Array.isArray(log)) return [];
  const calls: PolicyCallView[] = [];
  for (const [index, entry] of log.entries()) {
    if (calls.length >= limit) break;
    if (entry === null || typeof entry !== 'object' || Array.isArray(entry) || typeof entry.request !== 'string' || typeof entry.method !== 'string') continue;
    const [at, second] = entry.request.split(':');
    const atNode = Number(at);
    let relation: PolicyCallView['relation'] | undefined;
    if (atNode === node.nodeId) relation = 'here';
    else if (node.parentId !== null && atNode === node.parentId) {
      // At the parent: a proposal made this node; an evaluation scored it only when it lists it.
      if (entry.method !== 'evaluate' || (second ?? '').split(',').map(Number).includes(node.nodeId)) relation = 'produced';
    }
    if (relation === undefined) continue;
    calls.push({ index, method: entry.method, relation, request: entry.request, response: entry.response ?? null, usage: entry.usage ?? null });
  }
  return calls;
}
