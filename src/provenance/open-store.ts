import { UsageError } from '../errors/index.js';
import type { Store } from './store.js';
import { DEFAULT_STORE_PATH, SqliteStore, type SqliteStoreOptions } from './sqlite/sqlite-store.js';

export interface OpenStoreOptions extends SqliteStoreOptions {
  /**
   * A file path, `sqlite:<path>`, `:memory:`, or a URL of a registered adapter such as
   * `postgres://user@host/db?schema=arbor`. Default: ARBOR_STORE, then `.arbor/arbor.db`.
   */
  location?: string;
}

type StoreOpener = (location: string, options: OpenStoreOptions) => Promise<Store>;

const openers = new Map<string, StoreOpener>();

/**
 * Registers how to open stores whose location starts with `scheme:` (for example `postgres`). Adapters
 * register themselves, so the core never imports a database driver it does not need.
 */
export function registerStoreScheme(scheme: string, opener: StoreOpener): void {
  openers.set(scheme, opener);
}

/** Opens the provenance store named by a location (default: the embedded SQLite file). */
export async function openStore(options: OpenStoreOptions = {}): Promise<Store> {
  const location = options.location ?? process.env.ARBOR_STORE ?? DEFAULT_STORE_PATH;
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(location)?.[1]?.toLowerCase();
  if (scheme !== undefined) {
    const opener = openers.get(scheme) ?? openers.get(scheme.replace(/ql$/, ''));
    if (opener === undefined) {
      throw new UsageError(`No store adapter for "${scheme}://" locations`, 'Use a file path for the embedded SQLite store.', {
        location,
        known: [...openers.keys()],
      });
    }
    return opener(location, options);
  }
  const path = location.startsWith('sqlite:') ? location.slice('sqlite:'.length) : location;
  return SqliteStore.open(path, options);
}

// Built-in adapters are loaded only when a location names them: the core never imports `pg` unless used.
registerStoreScheme('postgres', async (location, options) => {
  const { PostgresStore } = await import('./postgres/postgres-store.js');
  return PostgresStore.open(location, { readonly: options.readonly ?? false });
});
