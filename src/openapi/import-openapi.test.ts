import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ActionSpace } from '../actions/index.js';
import { approveAll, Executor } from '../execution/index.js';
import { openStore, runSteps, type Store } from '../provenance/index.js';
import { ToolIndex } from '../retrieval/index.js';
import { importOpenApi } from './import-openapi.js';

/*
 * A 65-operation OpenAPI 3.0 document (13 resources × list/create/get/update/delete) served by a real HTTP
 * server on loopback that keeps the resources in memory and logs every request.
 */

const RESOURCES = ['books', 'authors', 'publishers', 'orders', 'customers', 'reviews', 'shelves', 'stores', 'invoices', 'shipments', 'coupons', 'events', 'loans'];

function singular(resource: string): string {
  return resource.replace(/s$/, '');
}

function capital(text: string): string {
  return text[0]!.toUpperCase() + text.slice(1);
}

function bookstoreDocument(): Record<string, unknown> {
  const paths: Record<string, unknown> = {};
  const schemas: Record<string, unknown> = {};
  for (const resource of RESOURCES) {
    const one = singular(resource);
    const Type = capital(one);
    schemas[Type] = {
      type: 'object',
      required: ['title'],
      properties: { id: { type: 'string', readOnly: true }, title: { type: 'string', minLength: 1, description: `The ${one}'s title` }, rank: { type: 'integer', minimum: 0, nullable: true }, related: { $ref: `#/components/schemas/${Type}` } },
    };
    paths[`/${resource}`] = {
      get: {
        operationId: `list${capital(resource)}`,
        summary: `List ${resource}`,
        tags: [resource],
        parameters: [{ $ref: '#/components/parameters/limit' }, { name: 'q', in: 'query', schema: { type: 'string' }, description: `Words to look for in ${resource}` }],
        responses: { 200: { description: 'ok' } },
      },
      post: {
        operationId: `create${Type}`,
        summary: `Create a ${one}`,
        tags: [resource],
        requestBody: { required: true, content: { 'application/json': { schema: { $ref: `#/components/schemas/${Type}` } } } },
        responses: { 201: { description: 'created' } },
      },
    };
    paths[`/${resource}/{id}`] = {
      parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
      get: { operationId: `get${Type}`, summary: `Get a ${one} by id`, tags: [resource], parameters: [{ name: 'X-Trace', in: 'header', schema: { type: 'string' } }], responses: { 200: { description: 'ok' } } },
      patch: {
        operationId: `update${Type}`,
        summary: `Update a ${one}`,
        tags: [resource],
        requestBody: { content: { 'application/json': { schema: { $ref: `#/components/schemas/${Type}` } } } },
        responses: { 200: { description: 'ok' } },
      },
      delete: { operationId: `delete${Type}`, summary: `Delete a ${one} for good`, tags: [resource], responses: { 204: { description: 'deleted' } } },
    };
  }
  paths['/slow'] = { get: { operationId: 'slowReport', summary: 'A report that takes a long time', responses: { 200: { description: 'ok' } } } };
  return {
    openapi: '3.0.3',
    info: { title: 'Bookstore API', version: '1.0.0' },
    servers: [{ url: 'http://127.0.0.1:{port}/v1', variables: { port: { default: '1' } } }],
    paths,
    components: { schemas, parameters: { limit: { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 100 }, description: 'Page size' } } },
  };
}

interface LoggedRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

let server: Server;
let baseUrl: string;
let dir: string;
let store: Store;
const log: LoggedRequest[] = [];
const data = new Map<string, Map<string, Record<string, unknown>>>();
let closedEarly = 0;

beforeAll(async () => {
  server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      log.push({ method: request.method ?? '', url: request.url ?? '', headers: request.headers, body });
      const url = new URL(request.url ?? '/', 'http://localhost');
      const [, prefix, resource, id] = url.pathname.split('/');
      const send = (status: number, value?: unknown) => {
        response.writeHead(status, value === undefined ? {} : { 'content-type': 'application/json' });
        response.end(value === undefined ? undefined : JSON.stringify(value));
      };
      if (prefix !== 'v1') return send(404, { error: 'not found' });
      if (resource === 'slow') {
        const timer = setTimeout(() => send(200, { report: 'late' }), 5_000);
        response.on('close', () => {
          clearTimeout(timer);
          closedEarly++;
        });
        return;
      }
      const table = data.get(resource ?? '') ?? new Map<string, Record<string, unknown>>();
      data.set(resource ?? '', table);
      if (id === undefined && request.method === 'GET') {
        const limit = Number(url.searchParams.get('limit') ?? 100);
        return send(200, { items: [...table.values()].slice(0, limit), q: url.searchParams.get('q') });
      }
      if (id === undefined && request.method === 'POST') {
        const created = { ...(JSON.parse(body) as Record<string, unknown>), id: String(table.size + 1) };
        table.set(created.id as string, created);
        return send(201, created);
      }
      const found = table.get(id ?? '');
      if (found === undefined) return send(404, { error: `no ${resource} ${id}` });
      if (request.method === 'GET') return send(200, { ...found, trace: request.headers['x-trace'] ?? null });
      if (request.method === 'PATCH') {
        Object.assign(found, JSON.parse(body) as Record<string, unknown>);
        return send(200, found);
      }
      if (request.method === 'DELETE') {
        table.delete(id ?? '');
        return send(204);
      }
      send(405, { error: 'method not allowed' });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  dir = mkdtempSync(join(tmpdir(), 'arbor-openapi-'));
  store = await openStore({ location: join(dir, 'arbor.db') });
});

afterAll(async () => {
  await store.close();
  await new Promise((resolve) => server.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

describe('importOpenApi', () => {
  it('turns every operation into an action with effect, group, source and an input schema', () => {
    const { name, actions, skipped } = importOpenApi(bookstoreDocument(), { baseUrl });
    expect(name).toBe('bookstore-api');
    expect(skipped).toEqual([]);
    expect(actions).toHaveLength(66);
    const byName = new Map(actions.map((action) => [action.name, action]));
    expect(byName.get('bookstore-api.listBooks')).toMatchObject({ effect: 'read', group: 'bookstore-api:books', source: { kind: 'openapi', name: 'bookstore-api' }, tags: ['books'] });
    expect(byName.get('bookstore-api.createBook')?.effect).toBe('write');
    expect(byName.get('bookstore-api.updateBook')?.effect).toBe('write');
    expect(byName.get('bookstore-api.deleteBook')?.effect).toBe('irreversible');
    expect(byName.get('bookstore-api.getBook')?.description).toBe('GET /books/{id}: Get a book by id');
    const schema = byName.get('bookstore-api.createBook')?.inputJsonSchema as { properties: { body: { properties: Record<string, { type?: unknown }> } }; required: string[] };
    expect(schema.required).toEqual(['body']);
    expect(schema.properties.body.properties.rank?.type).toEqual(['integer', 'null']);
    expect(Object.keys((byName.get('bookstore-api.getBook')?.inputJsonSchema as { properties: object }).properties).sort()).toEqual(['X-Trace', 'id']);
  });

  it('calls each of the 66 operations against a real HTTP server, every call recorded by the executor', async () => {
    const { actions } = importOpenApi(bookstoreDocument(), { baseUrl, operations: { slowReport: { skip: true } } });
    const space = new ActionSpace(actions);
    const executor = new Executor({ store, actions: space, approval: approveAll });
    const run = await executor.startRun({ task: 'exercise the bookstore API' });
    for (const resource of RESOURCES) {
      const one = capital(singular(resource));
      const created = await run.call(`bookstore-api.create${one}`, { body: { title: `first ${singular(resource)}` } });
      expect(created).toEqual({ status: 201, body: { title: `first ${singular(resource)}`, id: '1' } });
      expect(await run.call(`bookstore-api.list${capital(resource)}`, { limit: 10, q: 'first' })).toMatchObject({ status: 200, body: { items: [{ id: '1' }], q: 'first' } });
      expect(await run.call(`bookstore-api.get${one}`, { id: '1', 'X-Trace': 'abc' })).toMatchObject({ body: { id: '1', trace: 'abc' } });
      expect(await run.call(`bookstore-api.update${one}`, { id: '1', body: { title: 'renamed' } })).toMatchObject({ body: { title: 'renamed' } });
      expect(await run.call(`bookstore-api.delete${one}`, { id: '1' })).toEqual({ status: 204, body: null });
    }
    await run.end('succeeded');
    const steps = await runSteps(store, run.id);
    expect(steps).toHaveLength(65);
    expect(new Set(steps.map((step) => step.action)).size).toBe(65);
    expect(steps.every((step) => step.status === 'ok')).toBe(true);
    expect(steps.filter((step) => step.effect === 'irreversible').map((step) => step.metadata.approval)).toHaveLength(13);
    expect(log.some((entry) => entry.method === 'PATCH' && entry.url === '/v1/books/1' && entry.headers['content-type'] === 'application/json')).toBe(true);
  });

  it('validates input against the full schema (references resolved), and records a refused call', async () => {
    const { actions } = importOpenApi(bookstoreDocument(), { baseUrl });
    const run = await new Executor({ store, actions: new ActionSpace(actions) }).startRun({ task: 'bad input' });
    const before = log.length;
    const missing = await run.execute('bookstore-api.createBook', { body: { rank: 3 } });
    expect(missing.status).toBe('failed');
    expect(missing.error?.code).toBe('ARBOR_INVALID_INPUT');
    const nested = await run.execute('bookstore-api.createBook', { body: { title: 'ok', related: { title: '' } } });
    expect(nested.error?.code).toBe('ARBOR_INVALID_INPUT');
    const limit = await run.execute('bookstore-api.listBooks', { limit: 1000 });
    expect(limit.error?.code).toBe('ARBOR_INVALID_INPUT');
    expect(log.length).toBe(before);
    expect((await runSteps(store, run.id)).map((step) => step.status)).toEqual(['failed', 'failed', 'failed']);
  });

  it('never runs a DELETE without approval, and turns an error status into a typed, recorded failure', async () => {
    const { actions } = importOpenApi(bookstoreDocument(), { baseUrl });
    const run = await new Executor({ store, actions: new ActionSpace(actions) }).startRun({ task: 'deny and 404', stopOnBlocked: false });
    const before = log.length;
    const blocked = await run.execute('bookstore-api.deleteAuthor', { id: '1' });
    expect(blocked.status).toBe('blocked');
    expect(log.length).toBe(before);
    const missing = await run.execute('bookstore-api.getAuthor', { id: '999' });
    expect(missing.status).toBe('failed');
    expect(missing.error).toMatchObject({ code: 'ARBOR_HTTP_STATUS', data: { status: 404 } });
  });

  it('honours the step signal: a timed-out call is aborted on the wire', async () => {
    const { actions } = importOpenApi(bookstoreDocument(), { baseUrl, operations: { slowReport: { timeoutMs: 200 } } });
    const run = await new Executor({ store, actions: new ActionSpace(actions) }).startRun({ task: 'slow' });
    const result = await run.execute('bookstore-api.slowReport', {});
    expect(result.error?.code).toBe('ARBOR_ACTION_TIMEOUT');
    await expect.poll(() => closedEarly).toBe(1);
  });

  it('sends credentials from an environment variable, and fails clearly when it is not set', async () => {
    const env: Record<string, string | undefined> = { BOOKSTORE_TOKEN: 's3cret' };
    const { actions } = importOpenApi(bookstoreDocument(), { baseUrl, auth: { type: 'bearer', env: 'BOOKSTORE_TOKEN' }, env });
    const run = await new Executor({ store, actions: new ActionSpace(actions) }).startRun({ task: 'auth' });
    await run.call('bookstore-api.listCoupons', {});
    expect(log[log.length - 1]?.headers.authorization).toBe('Bearer s3cret');
    delete env.BOOKSTORE_TOKEN;
    const result = await run.execute('bookstore-api.listCoupons', {});
    expect(result.error).toMatchObject({ code: 'ARBOR_OPENAPI_AUTH_MISSING' });
  });

  it('applies per-method and per-operation overrides, and rejects overrides of unknown operations', () => {
    const { actions, skipped } = importOpenApi(bookstoreDocument(), {
      prefix: '',
      effects: { delete: 'write' },
      operations: { 'POST /orders': { effect: 'irreversible', name: 'place_order' }, deleteLoan: { skip: true } },
    });
    const byName = new Map(actions.map((action) => [action.name, action]));
    expect(byName.get('deleteBook')?.effect).toBe('write');
    expect(byName.get('place_order')?.effect).toBe('irreversible');
    expect(byName.has('deleteLoan')).toBe(false);
    expect(skipped).toEqual([{ method: 'delete', path: '/loans/{id}', reason: 'skipped by override' }]);
    expect(() => importOpenApi(bookstoreDocument(), { operations: { deleteUnicorn: { skip: true } } })).toThrow(expect.objectContaining({ code: 'ARBOR_USAGE' }) as Error);
  });

  it('refuses what is not an OpenAPI 3 document with a typed error', () => {
    expect(() => importOpenApi({ swagger: '2.0', info: { title: 'Old' }, paths: {} })).toThrow(expect.objectContaining({ code: 'ARBOR_OPENAPI_DOCUMENT' }) as Error);
    expect(() => importOpenApi('nope')).toThrow(expect.objectContaining({ code: 'ARBOR_OPENAPI_DOCUMENT' }) as Error);
    expect(() => importOpenApi({ openapi: '3.0.0', info: { title: 'x' } })).toThrow(/no "paths"/);
  });

  it('makes imported operations findable by retrieval, grouped by document and tag', () => {
    const { actions } = importOpenApi(bookstoreDocument(), { baseUrl });
    const index = new ToolIndex({ actions: new ActionSpace(actions) });
    expect(index.searchLexical('delete an invoice', { k: 1 }).hits[0]?.name).toBe('bookstore-api.deleteInvoice');
    expect(index.searchLexical('shipments', { strategy: 'grouped', groups: 1 }).groups?.[0]?.name).toBe('bookstore-api:shipments');
  });
});
