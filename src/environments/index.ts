export type { Environment, EnvironmentFactory, EnvironmentTask, OracleStep, OracleView, TaskOracle } from './environment.js';
export { defaultEnvironments, EnvironmentRegistry } from './registry.js';
export { createOrdersEnvironment, ordersEnvironment } from './orders/orders-environment.js';
export { fulfilOrderScript } from './orders/fulfil-order-script.js';
