import type { ArborConfigInput } from './schema.js';

/** Types an `arbor.config.ts` (like Vite's `defineConfig`): `export default defineConfig({ ... })`. */
export function defineConfig(config: ArborConfigInput): ArborConfigInput {
  return config;
}
