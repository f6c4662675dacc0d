export { builtinFsmDomains, builtinFsmFactories, builtinFsmModel, BUILTIN_DOMAIN_DIRECTORY, createBuiltinFsmEnvironment } from './builtin.js';
export { createFsmEnvironment, fsmEnvironmentFactory, type FsmEnvironment } from './fsm-environment.js';
export { loadFsmDomain, parseFsmDomain } from './load.js';
export { FsmModel, type FsmState, type FsmTask, type GroundAction, type Outcome } from './model.js';
export { FsmOracle } from './oracle.js';
