import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { EnvironmentFactory } from '../environment.js';
import { createFsmEnvironment, type FsmEnvironment } from './fsm-environment.js';
import { loadFsmDomain } from './load.js';
import type { FsmModel } from './model.js';

/**
 * The domain files shipped with Arbor. They sit beside this module (src/ in development, dist/ once built:
 * the build copies them), so they are found the same way from source and from the npm package.
 */
export const BUILTIN_DOMAIN_DIRECTORY = fileURLToPath(new URL('./domains/', import.meta.url));

const models = new Map<string, FsmModel>();

/** Names of the built-in FSM domains (file names without extension). */
export function builtinFsmDomains(): string[] {
  if (!existsSync(BUILTIN_DOMAIN_DIRECTORY)) return [];
  return readdirSync(BUILTIN_DOMAIN_DIRECTORY)
    .filter((file) => /\.(ya?ml|json)$/.test(file))
    .map((file) => file.replace(/\.(ya?ml|json)$/, ''))
    .sort();
}

/** The compiled model of a built-in domain (loaded once per process). */
export function builtinFsmModel(name: string): FsmModel {
  let model = models.get(name);
  if (model === undefined) {
    const file = readdirSync(BUILTIN_DOMAIN_DIRECTORY).find((candidate) => candidate.replace(/\.(ya?ml|json)$/, '') === name);
    if (file === undefined) throw new Error(`No built-in FSM domain "${name}" in ${BUILTIN_DOMAIN_DIRECTORY}`);
    model = loadFsmDomain(`${BUILTIN_DOMAIN_DIRECTORY}${file}`);
    models.set(name, model);
  }
  return model;
}

/** A fresh environment of a built-in domain. */
export function createBuiltinFsmEnvironment(name: string): FsmEnvironment {
  return createFsmEnvironment(builtinFsmModel(name));
}

/** Factories for every built-in domain, named `fsm/<domain>`; files are read on first use. */
export function builtinFsmFactories(): EnvironmentFactory[] {
  return builtinFsmDomains().map((domain) => ({
    name: `fsm/${domain}`,
    get description() {
      return builtinFsmModel(domain).description;
    },
    create: () => createBuiltinFsmEnvironment(domain),
  }));
}
