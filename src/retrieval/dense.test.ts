import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ActionSpace, defineAction, type AnyAction } from '../actions/index.js';
import { openStore, type Store } from '../provenance/index.js';
import { startOpenAITestServer, type OpenAITestServer } from '../testing/index.js';
import { ToolIndex } from './tool-index.js';

/*
 * The dense and hybrid paths end to end: a real AI SDK embedding model (the OpenAI-compatible provider)
 * talking to the loopback test server's /v1/embeddings, vectors cached in a real SQLite store.
 */

let server: OpenAITestServer;
let dir: string;
let store: Store;

beforeAll(async () => {
  server = await startOpenAITestServer();
  dir = mkdtempSync(join(tmpdir(), 'arbor-dense-'));
  store = await openStore({ location: join(dir, 'arbor.db') });
});
afterAll(async () => {
  await store.close();
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => server.reset());

const model = () => createOpenAICompatible({ name: 'loopback', baseURL: server.baseURL, apiKey: 'test' }).embeddingModel('test-embed');

function action(name: string, description: string): AnyAction {
  return defineAction({ name, description, input: z.object({ text: z.string().describe('free text') }), effect: 'read', run: () => null }) as AnyAction;
}

function space(): ActionSpace {
  return new ActionSpace([
    action('weather.forecast', 'Weather forecast: rain, sun and wind for a city'),
    action('invoices.send', 'Send an invoice to a customer'),
    action('issues.list', 'List the issues of a repository'),
    action('maps.route', 'Driving route between two places'),
  ]);
}

function embeddedTexts(): string[] {
  return server.requestsTo('embeddings').flatMap((request) => (request.body as { input: string[] }).input);
}

describe('dense and hybrid retrieval through an AI SDK embedding model', () => {
  it('ranks by cosine similarity and fuses with lexical ranks', async () => {
    const index = new ToolIndex({ actions: space(), embedding: { model: model(), store } });
    const dense = await index.search('rain and wind tomorrow', { strategy: 'dense', k: 2 });
    expect(dense.hits[0]?.name).toBe('weather.forecast');
    expect(dense.notes).toEqual([]);
    const hybrid = await index.search('customer invoice', { k: 2, explain: true });
    expect(hybrid.strategy).toBe('hybrid');
    expect(hybrid.hits[0]?.name).toBe('invoices.send');
    expect(hybrid.hits[0]?.explanation?.denseSimilarity).toBeGreaterThan(0);
  });

  it('does not embed unchanged actions again: vectors come from the store, keyed by model and content hash', async () => {
    const first = new ToolIndex({ actions: space(), embedding: { model: model(), store } });
    await first.syncEmbeddings();
    server.reset();

    // A new index over the same actions (a new process, say) sends no action to the model.
    const actions = space();
    const second = new ToolIndex({ actions, embedding: { model: model(), store } });
    await second.syncEmbeddings();
    expect(server.requestsTo('embeddings')).toHaveLength(0);
    expect(second.embeddingUsage).toEqual({ calls: 0, texts: 0, pending: 0 });

    // Changing one action re-embeds that action only; adding one embeds just the new one.
    actions.remove('invoices.send');
    actions.add(action('invoices.send', 'Send an invoice to a customer by e-mail'));
    actions.add(action('calendar.book', 'Book a meeting in the calendar'));
    await second.search('meeting', { strategy: 'dense' });
    const texts = embeddedTexts();
    expect(texts).toHaveLength(3);
    expect(texts.filter((text) => text.startsWith('invoices.send'))).toHaveLength(1);
    expect(texts.filter((text) => text.startsWith('calendar.book'))).toHaveLength(1);
    expect(texts).toContain('meeting');

    // The same query again is answered from the cache as well.
    server.reset();
    await second.search('meeting', { strategy: 'dense' });
    expect(server.requestsTo('embeddings')).toHaveLength(0);
  });

  it('answers an empty query without calling the model', async () => {
    const index = new ToolIndex({ actions: space(), embedding: { model: model(), store } });
    expect((await index.search('  ', { strategy: 'hybrid' })).hits).toEqual([]);
    expect(server.requestsTo('embeddings')).toHaveLength(0);
  });

  it('surfaces a failing embedding endpoint as the AI SDK error, and loses nothing', async () => {
    const actions = space();
    actions.add(action('fresh.action', 'Something never embedded before'));
    const index = new ToolIndex({ actions, embedding: { model: model(), store, maxRetries: 0 } });
    server.enqueueEmbeddings({ status: 500 });
    await expect(index.syncEmbeddings()).rejects.toThrow();
    expect(index.embeddingUsage.pending).toBe(1);
    await index.syncEmbeddings();
    expect(index.embeddingUsage.pending).toBe(0);
  });
});
