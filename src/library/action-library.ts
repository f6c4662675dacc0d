import { z } from 'zod';
import { defineAction, EFFECTS, type Action, type ActionSpace, type AnyAction, type Effect } from '../actions/index.js';
import { DuplicateActionError, InvalidDefinitionError, NotFoundError } from '../errors/index.js';
import type { JsonObject, JsonValue } from '../internal/json.js';
import { getRunOrThrow, resolveStep, sha256, type GeneratedActionRecord, type StepRecord, type Store } from '../provenance/index.js';
import { bridgeToContext, sharedSandbox, type Sandbox, type SandboxLimits } from '../sandbox/index.js';
import { parseFunction } from './parse-function.js';

/** Tag every generated action carries, beside its own tags. */
export const GENERATED_TAG = 'generated';

const EFFECT_RANK: Record<Effect, number> = { read: 0, write: 1, irreversible: 2 };

export interface SaveGeneratedActionRequest {
  name: string;
  /** What it does, written for a model choosing among many actions (retrieval indexes it). */
  description: string;
  /** One JavaScript function taking the input object: `async function ({ orderIds }) { ... }`. */
  code: string;
  /** JSON Schema of the input. Default: inferred from the function's parameter and `example`. */
  inputSchema?: JsonObject;
  outputSchema?: JsonObject;
  /** An input it was called with, to infer the schema's types. */
  example?: JsonValue;
  /**
   * Its effect, which also bounds the tools its code may call. Default: the effect of the code step it
   * came from, else the latest version's, else `write`. Never more than that code step's.
   */
  effect?: Effect;
  tags?: string[];
  /** The run it came from and the code step (id or seq) in which the function ran successfully. */
  origin?: { runId: string; step?: string | number };
  createdBy?: 'agent' | 'user';
  metadata?: JsonObject;
}

export interface SaveOutcome {
  record: GeneratedActionRecord;
  /** False when the latest version was the same function already (nothing was written). */
  created: boolean;
}

export interface ActionLibraryOptions {
  store: Store;
  /** Runs the saved functions. Default: the shared sandbox. */
  sandbox?: Sandbox;
  /** Sandbox limits for saved functions. */
  limits?: Partial<SandboxLimits>;
}

export interface LoadReport {
  loaded: string[];
  skipped: { name: string; reason: string }[];
}

/**
 * The action library (DynaSaur): functions that worked, saved as new named actions with a schema, their
 * source and their provenance (the run and code step they came from), versioned in the provenance store.
 * Loaded into an action space they are actions like any other (source kind `generated`), found by name
 * and by every index that follows the space, and run in the sandbox with the space's tools.
 */
export class ActionLibrary {
  readonly store: Store;
  readonly #sandbox: Sandbox | undefined;
  readonly #limits: Partial<SandboxLimits> | undefined;

  constructor(options: ActionLibraryOptions) {
    this.store = options.store;
    this.#sandbox = options.sandbox;
    this.#limits = options.limits;
  }

  /**
   * Saves a function as the next version of `name`. The function must parse; with an origin step, that
   * step must have run the function successfully. Saving the same function again writes nothing.
   */
  async save(request: SaveGeneratedActionRequest): Promise<SaveOutcome> {
    const parsed = parseFunction(request.code);
    const originStep = request.origin?.step === undefined ? undefined : await this.#originStep(request.origin.runId, request.origin.step, parsed.code);
    if (request.origin !== undefined && originStep === undefined) await getRunOrThrow(this.store, request.origin.runId);
    const latest = await this.store.getGeneratedAction(request.name);
    const effect = request.effect ?? originStep?.effect ?? latest?.effect ?? 'write';
    if (!EFFECTS.includes(effect)) throw new InvalidDefinitionError(`Unknown effect ${JSON.stringify(effect)}`, { hint: 'Use read, write or irreversible.' });
    if (originStep !== undefined && EFFECT_RANK[effect] > EFFECT_RANK[originStep.effect]) {
      throw new InvalidDefinitionError(`"${request.name}" cannot be ${effect}: the code step it ran in was ${originStep.effect}`, {
        hint: 'A saved function may do no more than the code it was proven in.',
      });
    }
    const inputSchema = request.inputSchema ?? parsed.inferSchema(request.example);
    const draft: Omit<GeneratedActionRecord, 'version'> = {
      name: request.name,
      description: request.description,
      code: parsed.code,
      codeHash: sha256(parsed.code),
      inputSchema,
      outputSchema: request.outputSchema ?? null,
      effect,
      tags: [...new Set(request.tags ?? [])],
      originRunId: request.origin?.runId ?? null,
      originStepId: originStep?.id ?? null,
      createdBy: request.createdBy ?? 'user',
      createdAt: Date.now(),
      metadata: request.metadata ?? {},
    };
    // Build the action once before saving: a bad name or an unusable schema is refused here, not at load.
    this.#toAction({ ...draft, version: 0 }, undefined);
    if (latest !== undefined && sameDefinition(latest, draft)) return { record: latest, created: false };
    return { record: await this.store.addGeneratedAction(draft), created: true };
  }

  /** A saved action: the given version, or the latest. */
  async get(name: string, version?: number): Promise<GeneratedActionRecord> {
    const record = await this.store.getGeneratedAction(name, version);
    if (record === undefined) {
      throw new NotFoundError('generated action', version === undefined ? name : `${name}@${version}`, 'Run "arbor actions list --generated" to see the saved actions.');
    }
    return record;
  }

  /** The latest version of every saved action. */
  list(): Promise<GeneratedActionRecord[]> {
    return this.store.listGeneratedActions();
  }

  /** Every version of one saved action, oldest first. */
  async versions(name: string): Promise<GeneratedActionRecord[]> {
    const versions = await this.store.listGeneratedActions({ name });
    if (versions.length === 0) throw new NotFoundError('generated action', name, 'Run "arbor actions list --generated" to see the saved actions.');
    return versions;
  }

  /** The executable action of a saved version; its code calls the tools of `space` from the sandbox. */
  toAction(record: GeneratedActionRecord, space: ActionSpace): AnyAction {
    return this.#toAction(record, space);
  }

  /** Puts a saved version into a space, replacing an older generated version; never an action of another kind. */
  install(record: GeneratedActionRecord, space: ActionSpace): AnyAction {
    const existing = space.find(record.name);
    if (existing !== undefined) {
      if (existing.source.kind !== 'generated') throw new DuplicateActionError(record.name);
      space.remove(record.name);
    }
    const action = this.#toAction(record, space);
    space.add(action);
    return action;
  }

  /** Adds the latest version of every saved action to `space` (a later run's); names taken by other actions are skipped. */
  async load(space: ActionSpace): Promise<LoadReport> {
    const report: LoadReport = { loaded: [], skipped: [] };
    for (const record of await this.list()) {
      const existing = space.find(record.name);
      if (existing !== undefined && existing.source.kind !== 'generated') {
        report.skipped.push({ name: record.name, reason: `the space already has a ${existing.source.kind} action of that name` });
        continue;
      }
      this.install(record, space);
      report.loaded.push(record.name);
    }
    return report;
  }

  async #originStep(runId: string, ref: string | number, code: string): Promise<StepRecord> {
    const step = await resolveStep(this.store, runId, ref);
    const stepCode = isRecord(step.input) && typeof step.input.code === 'string' ? step.input.code : undefined;
    if (stepCode === undefined) {
      throw new InvalidDefinitionError(`Step ${step.id} (${step.action}) is not a code step`, {
        hint: 'Point at the run_code step in which the function ran.',
        data: { step: step.id },
      });
    }
    if (step.status !== 'ok') {
      throw new InvalidDefinitionError(`The code step ${step.id} did not succeed (${step.status}); only a function that worked can be saved`, {
        hint: 'Fix the code until its run_code step succeeds, then save the function from that step.',
        data: { step: step.id, status: step.status },
      });
    }
    if (!squash(stepCode).includes(squash(code))) {
      throw new InvalidDefinitionError(`The function to save is not in the code of step ${step.id}`, {
        hint: 'Save the function exactly as it was written in that run_code step.',
        data: { step: step.id },
      });
    }
    return step;
  }

  #toAction(record: GeneratedActionRecord, space: ActionSpace | undefined): AnyAction {
    let input: z.ZodType;
    let output: z.ZodType | undefined;
    try {
      input = z.fromJSONSchema(record.inputSchema);
      output = record.outputSchema === null ? undefined : z.fromJSONSchema(record.outputSchema);
    } catch (error) {
      throw new InvalidDefinitionError(`The schema of "${record.name}" is not usable JSON Schema: ${error instanceof Error ? error.message : String(error)}`, {
        hint: 'Declare a JSON Schema object, for example { "type": "object", "properties": { "orderId": { "type": "string" } } }.',
        cause: error,
      });
    }
    const limits = this.#limits;
    const action: Action<unknown, unknown> = defineAction<unknown, unknown>({
      name: record.name,
      description: record.description,
      input,
      ...(output === undefined ? {} : { output }),
      effect: record.effect,
      tags: [GENERATED_TAG, ...record.tags.filter((tag) => tag !== GENERATED_TAG)],
      idempotent: record.effect === 'read',
      timeoutMs: (limits?.timeMs ?? 10_000) + 5_000,
      source: {
        kind: 'generated',
        name: record.name,
        version: String(record.version),
        ...(record.originRunId === null ? {} : { origin: { runId: record.originRunId, ...(record.originStepId === null ? {} : { stepId: record.originStepId }) } }),
      },
      run: async (value, ctx) => {
        if (space === undefined) throw new InvalidDefinitionError(`"${record.name}" was not installed in an action space`);
        const sandbox = this.#sandbox ?? sharedSandbox();
        const outcome = await sandbox.run(record.code, {
          ...bridgeToContext(space, ctx, { effect: record.effect, exclude: record.name }),
          entry: { input: value as JsonValue },
          ...(limits === undefined ? {} : { limits }),
        });
        if (!outcome.ok) throw outcome.error;
        return outcome.value ?? null;
      },
    });
    return action;
  }
}

function sameDefinition(stored: GeneratedActionRecord, draft: Omit<GeneratedActionRecord, 'version'>): boolean {
  return (
    stored.codeHash === draft.codeHash &&
    stored.description === draft.description &&
    stored.effect === draft.effect &&
    JSON.stringify(stored.inputSchema) === JSON.stringify(draft.inputSchema) &&
    JSON.stringify(stored.outputSchema) === JSON.stringify(draft.outputSchema) &&
    JSON.stringify(stored.tags) === JSON.stringify(draft.tags)
  );
}

/** Whitespace does not matter when matching a function to the code it was written in. */
function squash(code: string): string {
  return code.replace(/\s+/g, ' ').trim();
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
