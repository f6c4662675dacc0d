import { UsageError } from '../errors/index.js';
import type { Environment, EnvironmentFactory } from './environment.js';
import { builtinFsmFactories } from './fsm/builtin.js';
import { ordersEnvironment } from './orders/orders-environment.js';

/** Environments known by name, so a recorded run can be replayed or forked in a fresh copy of its world. */
export class EnvironmentRegistry {
  readonly #factories = new Map<string, EnvironmentFactory>();

  constructor(factories: Iterable<EnvironmentFactory> = []) {
    for (const factory of factories) this.register(factory);
  }

  register(factory: EnvironmentFactory): this {
    this.#factories.set(factory.name, factory);
    return this;
  }

  has(name: string): boolean {
    return this.#factories.has(name);
  }

  list(): EnvironmentFactory[] {
    return [...this.#factories.values()];
  }

  async create(name: string): Promise<Environment> {
    const factory = this.#factories.get(name);
    if (factory === undefined) {
      const known = [...this.#factories.keys()];
      throw new UsageError(`No environment named "${name}"`, `Known environments: ${known.join(', ') || 'none'}.`, { name, known });
    }
    return factory.create();
  }
}

/** The registry with Arbor's built-in environments: the orders demo and the FSM domains (`fsm/<name>`). */
export function defaultEnvironments(): EnvironmentRegistry {
  return new EnvironmentRegistry([ordersEnvironment, ...builtinFsmFactories()]);
}
