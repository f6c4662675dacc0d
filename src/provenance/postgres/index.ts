export { PostgresStore, type PostgresStoreOptions } from './postgres-store.js';
export { POSTGRES_MIGRATIONS, POSTGRES_LATEST_SCHEMA_VERSION } from './migrations.js';
