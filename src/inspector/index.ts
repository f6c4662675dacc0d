export { startInspector, defaultAssetsDir, DEFAULT_INSPECTOR_PORT, type Inspector, type InspectorOptions } from './server.js';
export { createInspectorApp, type InspectorAppOptions } from './app.js';
export { AssetTable } from './assets.js';
export { isLoopbackAddress, isLoopbackHost } from './loopback.js';
export type * from './api-types.js';
