import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestDatabase, withClient } from '../../internal/services/index.js';
import { describeStoreConformance, type StoreHarness } from '../conformance/store-conformance.js';
import { runRecord, stepWrite } from '../conformance/step-fixtures.js';
import { openStore } from '../open-store.js';
import { MIGRATIONS } from '../sqlite/migrations.js';
import { POSTGRES_MIGRATIONS } from './migrations.js';
import { parseLocation, PostgresStore } from './postgres-store.js';

let database: Awaited<ReturnType<typeof createTestDatabase>>;
beforeAll(async () => {
  database = await createTestDatabase(inject('postgresUrl'));
});
afterAll(async () => {
  await database?.drop();
});

const schemaOf = (location: string) => new URL(location).searchParams.get('schema') ?? 'arbor';

/** Each store is a schema of its own in this file's database: a fresh store costs one CREATE SCHEMA. */
const postgresHarness: StoreHarness = {
  async freshLocation() {
    const url = new URL(database.url);
    url.searchParams.set('schema', `s_${randomBytes(5).toString('hex')}`);
    return url.toString();
  },
  // Through openStore, as `--store postgres://…` would: the adapter is loaded on demand.
  open: (location) => openStore({ location }),
  async markNewerSchema(location, version) {
    await withClient(database.url, (client) =>
      client.query(`INSERT INTO ${schemaOf(location)}.arbor_migrations (version, name, applied_at) VALUES ($1, 'from a newer Arbor', 0)`, [version]),
    );
  },
  async makeForeign(location) {
    const schema = schemaOf(location);
    await withClient(database.url, (client) =>
      client.query(`CREATE SCHEMA ${schema}; CREATE TABLE ${schema}.customers (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO ${schema}.customers VALUES (1, 'Ada')`),
    );
  },
  async fingerprint(location) {
    const schema = schemaOf(location);
    return withClient(database.url, async (client) => {
      const tables = await client.query<{ name: string }>('SELECT table_name AS name FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1', [schema]);
      const digests: string[] = [];
      for (const { name } of tables.rows) {
        const { rows } = await client.query<{ digest: string }>(`SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) AS digest FROM ${schema}.${name} t`);
        digests.push(`${name}:${rows[0]?.digest}`);
      }
      return digests.join(',');
    });
  },
};

describeStoreConformance('PostgreSQL', () => postgresHarness);

describe('PostgresStore', () => {
  it('keeps the same migration versions as the SQLite store', () => {
    expect(POSTGRES_MIGRATIONS.map(({ version, name }) => ({ version, name }))).toEqual(MIGRATIONS.map(({ version, name }) => ({ version, name })));
  });

  it('records applied migrations in its own schema and stores a large payload once', async () => {
    const location = await postgresHarness.freshLocation();
    const store = await PostgresStore.open(location);
    try {
      await store.createRun(runRecord('R1'));
      const big = { text: 'x'.repeat(100_000) };
      for (let seq = 0; seq < 5; seq++) await store.insertStep(stepWrite('R1', seq, { output: big }));
      const versions = await store.query<{ version: number }>('SELECT version FROM arbor_migrations ORDER BY version');
      expect(versions.rows.map((row) => row.version)).toEqual(POSTGRES_MIGRATIONS.map((migration) => migration.version));
      const blobs = await store.query<{ count: number }>('SELECT count(*) AS count FROM blobs WHERE size > 50000');
      expect(blobs.rows[0]?.count).toBe(1);
      const inline = await store.query<{ count: number }>('SELECT count(*) AS count FROM steps WHERE output_json IS NULL');
      expect(inline.rows[0]?.count).toBe(5);
    } finally {
      await store.close();
    }
  });

  it('migrates a version 1 schema in place to the generated-actions version, keeping its runs', async () => {
    const location = await postgresHarness.freshLocation();
    const schema = schemaOf(location);
    // A store as an Arbor with migration 1 only left it.
    await withClient(database.url, async (client) => {
      await client.query(`CREATE SCHEMA ${schema}; SET search_path = ${schema}`);
      await client.query(POSTGRES_MIGRATIONS[0]?.sql ?? '');
      await client.query(`CREATE TABLE arbor_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL);
        INSERT INTO arbor_migrations VALUES (1, 'v1', 0);
        INSERT INTO runs (id, status, created_at) VALUES ('R1', 'succeeded', 1)`);
    });
    const store = await PostgresStore.open(location);
    try {
      expect((await store.getRun('R1'))?.status).toBe('succeeded');
      const saved = await store.addGeneratedAction({
        name: 'a', description: 'does a', code: 'v1', codeHash: 'h', inputSchema: { type: 'object' }, outputSchema: null, effect: 'read',
        tags: [], originRunId: 'R1', originStepId: null, createdBy: 'user', createdAt: 1, metadata: {},
      });
      expect(saved.version).toBe(1);
      const versions = await store.query<{ version: number }>('SELECT version FROM arbor_migrations ORDER BY version');
      expect(versions.rows.map((row) => row.version)).toEqual([1, 2]);
    } finally {
      await store.close();
    }
  });

  it('hides the password in its location and rejects a bad schema name', () => {
    const parsed = parseLocation('postgres://arbor:s3cret@db.example:5433/runs?schema=team_a&sslmode=disable');
    expect(parsed.location).toBe('postgres://arbor:***@db.example:5433/runs?sslmode=disable&schema=team_a');
    expect(parsed.connectionString).toBe('postgres://arbor:s3cret@db.example:5433/runs?sslmode=disable');
    expect(parsed.schema).toBe('team_a');
    expect(() => parseLocation('postgres://h/db?schema=drop;table')).toThrow(/Invalid schema name/);
  });

  it('says which server it cannot reach, with a typed error and a hint', async () => {
    const error = await openStore({ location: 'postgres://arbor:pw@127.0.0.1:1/nowhere' }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'ARBOR_STORE', message: expect.stringContaining('postgres://arbor:***@127.0.0.1:1/nowhere') });
    expect((error as { hint?: string }).hint).toMatch(/server is running/);
  });

  it('says when the database does not exist', async () => {
    const url = new URL(database.url);
    url.pathname = '/no_such_database';
    await expect(openStore({ location: url.toString() })).rejects.toMatchObject({ code: 'ARBOR_STORE', hint: expect.stringMatching(/createdb/) });
  });

  it('refuses writes when opened read-only, and refuses to open an unmigrated schema read-only', async () => {
    const location = await postgresHarness.freshLocation();
    await expect(openStore({ location, readonly: true })).rejects.toThrow(/needs a migration/);
    await (await openStore({ location })).close();
    const store = await openStore({ location, readonly: true });
    try {
      expect(await store.listRuns()).toEqual([]);
      await expect(store.createRun(runRecord('R1'))).rejects.toMatchObject({ code: 'ARBOR_STORE' });
    } finally {
      await store.close();
    }
  });
});
