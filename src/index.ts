// The public API of Arbor's core. Adapters and optional parts have their own subpaths.
export * from './errors/index.js';
export * from './actions/index.js';
export * from './execution/index.js';
export * from './provenance/index.js';
export * from './replay/index.js';
export * from './environments/index.js';
export * from './config/index.js';
export * from './planning/index.js';
export * from './policies/simulated/index.js';
export type { JsonObject, JsonValue } from './internal/json.js';
export { VERSION } from './version.js';
