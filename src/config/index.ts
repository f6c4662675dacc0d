export { configEnvironmentFactory, createConfigEnvironment, type ConfigEnvironment, type ConfigEnvironmentOptions } from './config-environment.js';
export { defineConfig } from './define-config.js';
export { addMcpServerToConfig, type AddMcpServerOptions } from './edit-config.js';
export { CONFIG_FILE_NAMES, findConfigFile, loadConfig, parseConfig, type LoadConfigOptions, type LoadedConfig } from './load-config.js';
export { openApiSourceSchema, type OpenApiSourceConfig } from './openapi-section.js';
export { arborConfigSchema, configSections, DEFAULT_CONFIG_ENVIRONMENT, type ArborConfig, type ArborConfigInput } from './schema.js';
