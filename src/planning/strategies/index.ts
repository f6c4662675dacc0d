import { UsageError } from '../../errors/index.js';
import type { JsonObject } from '../../internal/json.js';
import type { Planner } from '../planner.js';
import { astar } from './astar.js';
import { beam } from './beam.js';
import { bestFirst } from './best-first.js';
import { bestOfN } from './best-of-n.js';
import { greedy } from './greedy.js';
import { mcts, type MctsOptions } from './mcts.js';
import { treePlanner } from './tree-planner.js';

export { astar, type AStarOptions } from './astar.js';
export { beam, type BeamOptions } from './beam.js';
export { bestFirst, type BestFirstOptions } from './best-first.js';
export { bestOfN, type BestOfNOptions } from './best-of-n.js';
export { greedy, type GreedyOptions } from './greedy.js';
export { mcts, type MctsOptions } from './mcts.js';
export { buildActionTrie, treePlanner, type TreePlannerOptions } from './tree-planner.js';

// Options are strategy-specific; each factory reads only the fields it knows.
type AnyOptions = Record<string, never>;

const factories: Record<string, (options: AnyOptions) => Planner> = {
  greedy,
  beam,
  astar,
  'best-first': bestFirst,
  mcts,
  'mcts-value': (options) => mcts({ ...(options as MctsOptions), simulation: 'value' }),
  'mcts-q': (options) => mcts({ ...(options as MctsOptions), childValues: 'proposal' }),
  'tree-planner': treePlanner,
  'best-of-n': bestOfN,
};

/** The strategies by name, in the order benchmarks list them. */
export const STRATEGY_NAMES: readonly string[] = Object.keys(factories);

/** Builds a strategy by name (as the CLI and replays do). */
export function createPlanner(name: string, options: JsonObject = {}): Planner {
  const factory = factories[name];
  if (factory === undefined) {
    throw new UsageError(`Unknown planning strategy "${name}"`, `Use one of: ${STRATEGY_NAMES.join(', ')}.`, { name, known: STRATEGY_NAMES });
  }
  return factory(options as AnyOptions);
}
