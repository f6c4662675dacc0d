import { StageUnknownError, StageViolationError } from '../errors/index.js';
import type { Guard, GuardCall, GuardVerdict } from '../execution/index.js';
import type { JsonObject, JsonValue } from '../internal/json.js';
import type { Store } from '../provenance/index.js';
import type { StageMachine } from './stage-machine.js';

export interface StageGuardOptions {
  /**
   * Where to read the stage after steps this guard did not see (a resumed run, a fork continuing from a
   * recorded step): each step's metadata records `guards.<machine>.stage` and `.next`.
   */
  store?: Store;
  /** Cap on remembered steps (a long search executes many). Default 100000; the oldest are forgotten first. */
  maxRemembered?: number;
}

/**
 * Enforces a stage machine in the executor. The stage of a call is the stage after the step it continues
 * from (its parent), so branches of a search and forks each have their own stage; nested calls see, and
 * move, the stage of their caller. Records `{ stage }` before a step and `{ stage, next }` after it.
 */
export function stageGuard(machine: StageMachine, options: StageGuardOptions = {}): Guard {
  const limit = options.maxRemembered ?? 100_000;
  /** The stage after each successful top-level step. */
  const after = new Map<string, string>();
  /** The current stage inside each step in flight (nested calls move it). */
  const during = new Map<string, string>();
  const remember = (map: Map<string, string>, key: string, stage: string) => {
    map.delete(key);
    map.set(key, stage);
    if (map.size > limit) map.delete(map.keys().next().value as string);
  };

  const stageFor = async (call: GuardCall): Promise<string | StageUnknownError> => {
    if (machine.stageOf !== undefined) return machine.stageOf(call.state);
    if (call.parentStepId === null) return machine.initial;
    const known = call.depth > 0 ? (during.get(call.parentStepId) ?? after.get(call.parentStepId)) : (after.get(call.parentStepId) ?? during.get(call.parentStepId));
    if (known !== undefined) return known;
    const recorded = await options.store?.getStep(call.parentStepId);
    const note = (recorded?.metadata.guards as JsonObject | undefined)?.[machine.name] as JsonObject | undefined;
    if (recorded !== undefined && typeof note?.stage === 'string') {
      // A caller in flight has a `stage`; a finished step also has the `next` it moved to.
      const stage = recorded.status === 'ok' && typeof note.next === 'string' ? note.next : note.stage;
      return machine.has(stage) ? stage : new StageUnknownError(call.action.name, machine.name, call.parentStepId);
    }
    return new StageUnknownError(call.action.name, machine.name, call.parentStepId);
  };

  return {
    name: machine.name,
    async before(call): Promise<GuardVerdict> {
      const stage = await stageFor(call);
      if (typeof stage !== 'string') return { allow: false, code: stage.code, reason: stage.message, error: stage, data: { parentStepId: call.parentStepId } };
      const decision = machine.decide(stage, call.action);
      if (!decision.allowed) {
        const allowed = machine.has(stage) ? allowedNames(machine, stage) : [];
        const error = new StageViolationError(call.action.name, stage, { machine: machine.name, allowed, reason: decision.reason });
        return { allow: false, code: error.code, reason: decision.reason, error, data: { stage } };
      }
      remember(during, call.stepId, stage);
      return { allow: true, note: { stage } };
    },
    after(call): GuardVerdict {
      const stage = during.get(call.stepId);
      if (stage === undefined) return { allow: true };
      const next = machine.next(stage, { action: call.action.name, input: call.input as JsonValue, output: call.output });
      return { allow: true, note: { next } };
    },
    commit(call): void {
      const start = during.get(call.stepId);
      during.delete(call.stepId);
      if (start === undefined) return;
      const next = machine.next(start, { action: call.action.name, input: call.input as JsonValue, output: call.output });
      if (call.depth > 0 && call.parentStepId !== null && during.has(call.parentStepId)) remember(during, call.parentStepId, next);
      else remember(after, call.stepId, next);
    },
  };
}

/** The action-name patterns a stage allows, for messages. */
function allowedNames(machine: StageMachine, stage: string): string[] {
  const definition = machine.stages[stage];
  return definition?.allow === undefined ? ['(every action not denied)'] : [...definition.allow];
}
