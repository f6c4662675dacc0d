import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { EnvironmentFactory } from '../environments/index.js';
import { UsageError } from '../errors/index.js';
import type { PolicyFactory, TaskSolver } from './solver.js';

/**
 * What a module given to `arbor worker --plugin <file>` exports (as its default export, or as named
 * exports): more environments, policies and strategies for the worker to run.
 */
export interface WorkerPlugin {
  environments?: EnvironmentFactory[];
  policies?: PolicyFactory[];
  solvers?: TaskSolver[];
  /** Releases what the plugin holds (connections), when the worker stops. */
  close?(): void | Promise<void>;
}

/** Imports a worker plugin module, checking its shape. */
export async function loadWorkerPlugin(path: string): Promise<WorkerPlugin> {
  let module: Record<string, unknown>;
  try {
    module = (await import(pathToFileURL(resolve(path)).href)) as Record<string, unknown>;
  } catch (error) {
    throw new UsageError(`Cannot load the worker plugin ${path}: ${error instanceof Error ? error.message : String(error)}`, 'Pass an ES module (.js/.mjs) that exports { environments, policies, solvers }.');
  }
  const plugin = (typeof module.default === 'object' && module.default !== null ? module.default : module) as Record<string, unknown>;
  const check = (key: keyof WorkerPlugin, required: string[]) => {
    const value = plugin[key];
    if (value === undefined) return;
    if (!Array.isArray(value) || value.some((entry) => typeof entry !== 'object' || entry === null || required.some((field) => !(field in entry)))) {
      throw new UsageError(`The worker plugin ${path} exports a malformed "${key}"`, `Each entry needs ${required.join(', ')}.`);
    }
  };
  check('environments', ['name', 'create']);
  check('policies', ['name', 'create']);
  check('solvers', ['name', 'solve']);
  return plugin as WorkerPlugin;
}
