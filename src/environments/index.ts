export type { Environment, EnvironmentFactory, EnvironmentTask, OracleStep, OracleView, TaskOracle } from './environment.js';
export { defaultEnvironments, EnvironmentRegistry } from './registry.js';
export { createOrdersEnvironment, ordersEnvironment } from './orders/orders-environment.js';
export { fulfilOrderScript } from './orders/fulfil-order-script.js';
export {
  builtinFsmDomains,
  builtinFsmFactories,
  builtinFsmModel,
  createBuiltinFsmEnvironment,
  createFsmEnvironment,
  fsmEnvironmentFactory,
  FsmModel,
  FsmOracle,
  loadFsmDomain,
  parseFsmDomain,
  type FsmEnvironment,
  type FsmState,
  type FsmTask,
} from './fsm/index.js';
