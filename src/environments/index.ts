export type { Environment, EnvironmentFactory, EnvironmentTask } from './environment.js';
export { defaultEnvironments, EnvironmentRegistry } from './registry.js';
export { createOrdersEnvironment, ordersEnvironment } from './orders/orders-environment.js';
export { fulfilOrderScript } from './orders/fulfil-order-script.js';
