import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultEnvironments } from '../environments/index.js';
import { Executor } from '../execution/index.js';
import { createTempStore } from '../internal/temp-store.js';
import { serverEntry } from '../mcp/real-servers.test-helper.js';
import type { SqliteStore } from '../provenance/sqlite/sqlite-store.js';
import { fork, replay } from '../replay/index.js';
import { configEnvironmentFactory } from './config-environment.js';
import { loadConfig } from './load-config.js';

let dir: string;
let store: SqliteStore;
let cleanup: () => Promise<void>;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'arbor-config-env-'));
  ({ store, cleanup } = createTempStore());
});
afterAll(async () => {
  await cleanup();
  rmSync(dir, { recursive: true, force: true });
});

describe('the environment built from arbor.config.json', () => {
  it('holds the MCP tools, records runs under its name, and replays and forks them by that name', async () => {
    writeFileSync(join(dir, 'arbor.config.json'), JSON.stringify({ name: 'tools', mcpServers: { everything: { command: process.execPath, args: [serverEntry('server-everything')] } } }));
    const loaded = await loadConfig({ cwd: dir });
    if (loaded === undefined) throw new Error('no config');
    const registry = defaultEnvironments().register(configEnvironmentFactory(loaded));

    const environment = await registry.create('tools');
    let runId: string;
    try {
      expect(environment.name).toBe('tools');
      expect(environment.actions.get('everything.echo').source).toEqual({ kind: 'mcp', name: 'everything' });
      expect(environment.observe()).toEqual({ mcpServers: { everything: { connected: true, tools: expect.any(Number) } } });
      const executor = new Executor({ store, actions: environment.actions, observe: () => environment.observe() });
      const run = await executor.startRun({ task: 'echo and add', environment: environment.name });
      await run.call('everything.echo', { message: 'one' });
      await run.call('everything.get-sum', { a: 1, b: 2 });
      await run.end('succeeded');
      runId = run.id;
    } finally {
      await environment.close?.();
    }

    const recorded = await store.getRun(runId);
    expect(recorded?.environment).toBe('tools');
    // A fresh environment from the recorded name: new server processes, same answers.
    const fresh = await registry.create(recorded?.environment as string);
    try {
      const report = await replay(store, runId, { mode: 'verify', environment: fresh });
      expect(report.divergence).toBeNull();
      expect(report.matched).toBe(2);
    } finally {
      await fresh.close?.();
    }

    const forkEnvironment = await registry.create('tools');
    try {
      const forked = await fork(store, runId, { at: 1, change: { input: { a: 20, b: 22 } }, environment: forkEnvironment });
      expect(forked.run.parentRunId).toBe(runId);
      expect(JSON.stringify(forked.results[0]?.output)).toContain('42');
    } finally {
      await forkEnvironment.close?.();
    }
  });

  it('fails to build, naming the server, when a configured server cannot start', async () => {
    const loaded = { config: { mcpServers: { broken: { command: join(dir, 'no-such-binary') } } }, file: join(dir, 'arbor.config.json'), dir };
    await expect(configEnvironmentFactory(loaded).create()).rejects.toMatchObject({ code: 'ARBOR_MCP_CONNECTION', message: expect.stringContaining('"broken"') });
  });
});

describe('OpenAPI documents in the config', () => {
  it('imports a YAML document relative to the config file and calls its operations against a local server', async () => {
    const { createServer } = await import('node:http');
    const seen: string[] = [];
    const server = createServer((request, response) => {
      seen.push(`${request.method} ${request.url} ${request.headers.authorization ?? '-'}`);
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify(request.method === 'GET' ? [{ id: 1, name: 'Rex' }] : { ok: true }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    const openapiDir = mkdtempSync(join(tmpdir(), 'arbor-config-openapi-'));
    try {
      writeFileSync(
        join(openapiDir, 'pets.yaml'),
        [
          'openapi: 3.0.3',
          'info: { title: Pets, version: "1" }',
          'paths:',
          '  /pets:',
          '    get: { operationId: listPets, summary: List the pets, responses: { "200": { description: ok } } }',
          '    post: { operationId: addPet, summary: Add a pet, requestBody: { content: { application/json: { schema: { type: object, properties: { name: { type: string } }, required: [name] } } } }, responses: { "200": { description: ok } } }',
          '  /pets/{id}:',
          '    delete: { operationId: deletePet, summary: Delete a pet, parameters: [{ name: id, in: path, required: true, schema: { type: integer } }], responses: { "200": { description: ok } } }',
        ].join('\n'),
      );
      writeFileSync(
        join(openapiDir, 'arbor.config.json'),
        JSON.stringify({ name: 'pets', openapi: { pets: { document: './pets.yaml', baseUrl: `http://127.0.0.1:${port}`, auth: { type: 'bearer', env: 'ARBOR_TEST_PETS_TOKEN' }, operations: { addPet: { idempotent: true } } } } }),
      );
      process.env.ARBOR_TEST_PETS_TOKEN = 'secret';
      const loaded = await loadConfig({ cwd: openapiDir });
      if (loaded === undefined) throw new Error('no config');
      const environment = await configEnvironmentFactory(loaded).create();
      try {
        expect(environment.actions.list().map((action) => [action.name, action.effect, action.source.kind, action.source.name])).toEqual([
          ['pets.listPets', 'read', 'openapi', 'pets'],
          ['pets.addPet', 'write', 'openapi', 'pets'],
          ['pets.deletePet', 'irreversible', 'openapi', 'pets'],
        ]);
        expect(environment.actions.get('pets.addPet').idempotent).toBe(true);
        const run = await new Executor({ store, actions: environment.actions }).startRun({ environment: environment.name });
        expect(await run.call('pets.listPets', {})).toMatchObject({ status: 200, body: [{ id: 1, name: 'Rex' }] });
        expect((await run.execute('pets.addPet', { body: {} })).error?.code).toBe('ARBOR_INVALID_INPUT');
        expect((await run.execute('pets.deletePet', { id: 1 })).status).toBe('blocked');
        expect(seen).toEqual(['GET /pets Bearer secret']);
        expect((await store.listSteps(run.id)).map((step) => step.status)).toEqual(['ok', 'failed', 'blocked']);
      } finally {
        await environment.close?.();
      }
    } finally {
      delete process.env.ARBOR_TEST_PETS_TOKEN;
      server.close();
      rmSync(openapiDir, { recursive: true, force: true });
    }
  });

  it('names the field when the document cannot be read', async () => {
    const loaded = { config: { openapi: { gone: { document: './missing.yaml' } } }, file: join(dir, 'arbor.config.json'), dir };
    await expect(configEnvironmentFactory(loaded).create()).rejects.toMatchObject({ code: 'ARBOR_CONFIG_INVALID', message: expect.stringMatching(/openapi\.gone\.document: cannot read .*missing\.yaml: ENOENT/) });
  });
});
