import { spawn, type ChildProcess } from 'node:child_process';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ActionSpace } from '../actions/index.js';
import { Executor } from '../execution/index.js';
import { openStore, type Store } from '../provenance/index.js';
import { serverEntry } from './real-servers.test-helper.js';
import { McpToolSource } from './tool-source.js';

let store: Store;
beforeAll(async () => {
  store = await openStore({ location: ':memory:' });
});
afterAll(async () => {
  await store?.close();
});

async function freePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function startEverythingOverHttp(port: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, [serverEntry('server-everything'), 'streamableHttp'], { env: { ...process.env, PORT: String(port) }, stdio: ['ignore', 'ignore', 'pipe'] });
  await new Promise<void>((resolve, reject) => {
    let seen = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      if (seen.includes('listening')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`server-everything exited with ${code}: ${seen}`)));
  });
  return child;
}

describe('streamable HTTP: server-everything started with its streamableHttp transport', () => {
  it('lists and calls tools over HTTP, fails clearly when the server is gone, and reconnects when it is back', async () => {
    const port = await freePort();
    let child = await startEverythingOverHttp(port);
    const source = await McpToolSource.connect('remote', { url: `http://127.0.0.1:${port}/mcp`, timeoutMs: 5_000 });
    try {
      const space = new ActionSpace();
      source.attach(space);
      const run = await new Executor({ store, actions: space }).startRun({ task: 'http' });
      const echoed = await run.execute('remote.echo', { message: 'over http' });
      expect(echoed.ok).toBe(true);
      expect(JSON.stringify(echoed.output)).toContain('over http');

      const pending = run.execute('remote.trigger-long-running-operation', { duration: 3, steps: 3 });
      await new Promise((resolve) => setTimeout(resolve, 300));
      child.kill('SIGKILL');
      const crashed = await pending;
      expect(crashed.status).toBe('failed');
      expect(['ARBOR_MCP_CONNECTION', 'ARBOR_ACTION_TIMEOUT']).toContain(crashed.error?.code);

      const down = await run.execute('remote.echo', { message: 'nobody home' });
      expect(down.status).toBe('failed');
      expect(down.error?.code).toBe('ARBOR_MCP_CONNECTION');

      child = await startEverythingOverHttp(port);
      const back = await run.execute('remote.echo', { message: 'new session' });
      expect(back.error).toBeNull();
      expect(JSON.stringify(back.output)).toContain('new session');
      expect((await store.listSteps(run.id)).map((step) => step.status)).toEqual(['ok', 'failed', 'failed', 'ok']);
    } finally {
      await source.close();
      child.kill('SIGKILL');
    }
  });
});

