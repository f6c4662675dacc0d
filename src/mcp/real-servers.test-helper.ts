import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);

/** The entry script of an MCP reference server installed from npm (a pinned devDependency). */
export function serverEntry(pkg: 'server-everything' | 'server-memory' | 'server-filesystem'): string {
  const manifest = require.resolve(`@modelcontextprotocol/${pkg}/package.json`);
  return join(dirname(manifest), 'dist', 'index.js');
}
