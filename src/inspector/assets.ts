import { lstatSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import { InspectorAssetsMissingError } from '../errors/index.js';

export interface Asset {
  body: Uint8Array;
  contentType: string;
  /** Vite's hashed file names never change content, so they can be cached for good. */
  immutable: boolean;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
};

/**
 * The built web UI, read once into memory and keyed by URL path. Requests are answered by looking the path
 * up in this table, never by joining it onto a directory, so no request path (`..`, encoded or not) can
 * reach a file outside the assets directory. Symbolic links are followed only when their target lies
 * inside the directory too; other entries (sockets, links out) are left out.
 */
export class AssetTable {
  readonly directory: string;
  readonly #assets = new Map<string, Asset>();

  private constructor(directory: string) {
    this.directory = directory;
  }

  static load(directory: string): AssetTable {
    let root: string;
    try {
      root = realpathSync(directory);
    } catch {
      throw new InspectorAssetsMissingError(directory);
    }
    const table = new AssetTable(root);
    table.#walk(root, root, 0);
    if (!table.#assets.has('/index.html')) throw new InspectorAssetsMissingError(directory);
    return table;
  }

  /** The asset for a URL path (already percent-decoded by the caller), or undefined. */
  get(urlPath: string): Asset | undefined {
    return this.#assets.get(urlPath === '/' ? '/index.html' : urlPath);
  }

  get paths(): string[] {
    return [...this.#assets.keys()].sort();
  }

  #walk(root: string, directory: string, depth: number): void {
    if (depth > 8) return;
    for (const name of readdirSync(directory)) {
      const path = join(directory, name);
      let real: string;
      try {
        real = lstatSync(path).isSymbolicLink() ? realpathSync(path) : path;
      } catch {
        continue; // a dangling link
      }
      if (real !== root && !real.startsWith(root + sep)) continue;
      const stats = statSync(real);
      if (stats.isDirectory()) {
        this.#walk(root, path, depth + 1);
        continue;
      }
      if (!stats.isFile()) continue;
      const contentType = CONTENT_TYPES[extname(name).toLowerCase()];
      if (contentType === undefined) continue;
      const urlPath = `/${relative(root, path).split(sep).join('/')}`;
      this.#assets.set(urlPath, { body: readFileSync(real), contentType, immutable: urlPath.startsWith('/assets/') });
    }
  }
}
