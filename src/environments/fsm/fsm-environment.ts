import { ActionSpace, defineAction, type AnyAction } from '../../actions/index.js';
import { UsageError } from '../../errors/index.js';
import type { JsonValue } from '../../internal/json.js';
import type { Environment, EnvironmentFactory, EnvironmentTask } from '../environment.js';
import type { FsmModel, FsmState, FsmTask } from './model.js';
import { FsmOracle } from './oracle.js';

/** An FSM environment: the model's actions over one mutable state, with snapshot/restore for planners. */
export interface FsmEnvironment extends Environment {
  readonly model: FsmModel;
  readonly tasks: readonly (EnvironmentTask & { readonly oracle: FsmOracle; readonly tags: readonly string[] })[];
  snapshot(): JsonValue;
  restore(snapshot: JsonValue): void;
  startTask(taskId: string): void;
}

const oracles = new WeakMap<FsmTask, FsmOracle>();

function oracleOf(model: FsmModel, task: FsmTask): FsmOracle {
  let oracle = oracles.get(task);
  if (oracle === undefined) oracles.set(task, (oracle = new FsmOracle(model, task)));
  return oracle;
}

/** Builds an environment over a compiled FSM model. Its name is `fsm/<domain name>`. */
export function createFsmEnvironment(model: FsmModel): FsmEnvironment {
  let state: FsmState = model.initialState();
  const actions = new ActionSpace(
    model.actions.map((ground): AnyAction =>
      defineAction<Record<string, JsonValue>, JsonValue>({
        name: ground.name,
        description: ground.description,
        input: ground.input,
        effect: ground.effect,
        cost: ground.cost,
        tags: ground.tags,
        ...(ground.group === undefined ? {} : { group: ground.group }),
        source: { kind: 'environment', name: `fsm/${model.name}` },
        ...(ground.inverse === undefined ? {} : { inverse: ground.inverse }),
        ...(ground.reversible === undefined ? {} : { reversible: ground.reversible }),
        preconditions: ground.when.map((condition) => ({
          name: condition.name,
          check: (input) => (condition.check({ state, args: input }) ? true : { ok: false, reason: condition.reason ?? `${condition.name} does not hold` }),
        })),
        run: (input) => {
          const outcome = model.apply(state, ground, input);
          if (outcome.kind === 'blocked') throw new Error(outcome.reason);
          if (outcome.kind === 'failed') throw new Error(outcome.message);
          state = outcome.state;
          return outcome.output;
        },
      }) as unknown as AnyAction,
    ),
  );
  const tasks = model.tasks.map((task) => ({
    id: task.id,
    instruction: task.instruction,
    tags: task.tags,
    isDone: (observation: JsonValue) => observation !== null && typeof observation === 'object' && !Array.isArray(observation) && Boolean(task.goal({ state: observation, args: {} })),
    get oracle() {
      return oracleOf(model, task);
    },
  }));
  return {
    name: `fsm/${model.name}`,
    model,
    observationIsComplete: true,
    actions,
    tasks,
    // States are frozen and never changed in place: the observation can be the state itself.
    observe: () => state,
    // Transitions never modify a state in place (they copy what they change), so a snapshot can be the
    // state itself: taking and restoring one costs nothing, whatever the state's size.
    snapshot: () => state,
    restore: (snapshot) => {
      state = snapshot as FsmState;
    },
    startTask: (taskId) => {
      const task = model.tasks.find((candidate) => candidate.id === taskId);
      if (task === undefined) {
        throw new UsageError(`fsm/${model.name} has no task "${taskId}"`, `Known tasks: ${model.tasks.slice(0, 30).map((t) => t.id).join(', ')}.`, { task: taskId });
      }
      state = model.initialState(task);
    },
  };
}

export function fsmEnvironmentFactory(model: FsmModel): EnvironmentFactory {
  return { name: `fsm/${model.name}`, description: model.description, create: () => createFsmEnvironment(model) };
}
