import { existsSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { describe, expect, inject, it } from 'vitest';
import { startRedis } from './redis-server.js';
import { withClient } from './test-databases.js';

describe('test services', () => {
  it('runs PostgreSQL on loopback, never as root', async () => {
    // The owner of this connection's backend process, read while the connection (and so the process) lives.
    const facts = await withClient(inject('postgresUrl'), async (client) => {
      const row = (await client.query<{ addr: string; pid: number }>('SELECT host(inet_server_addr()) AS addr, pg_backend_pid() AS pid')).rows[0];
      const status = `/proc/${row?.pid}/status`;
      return { addr: row?.addr, uid: existsSync(status) ? /^Uid:\s+(\d+)/m.exec(readFileSync(status, 'utf8'))?.[1] : undefined };
    });
    expect(facts.addr).toBe('127.0.0.1');
    if (process.platform === 'linux') expect(facts.uid).toMatch(/^\d+$/);
    expect(facts.uid).not.toBe('0');
  });

  it('starts Redis on a free loopback port and removes everything when stopped', async () => {
    const redis = await startRedis();
    expect(redis.url).toBe(`redis://127.0.0.1:${redis.port}`);
    expect(existsSync(redis.dir)).toBe(true);
    await redis.stop();
    expect(existsSync(redis.dir)).toBe(false);
    const refused = await new Promise<boolean>((resolve) => {
      const socket = connect(redis.port, '127.0.0.1');
      socket.on('connect', () => (socket.destroy(), resolve(false)));
      socket.on('error', () => resolve(true));
    });
    expect(refused).toBe(true);
  });
});
