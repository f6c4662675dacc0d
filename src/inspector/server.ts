import { createAdaptorServer } from '@hono/node-server';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { PortInUseError, UsageError } from '../errors/index.js';
import type { Store } from '../provenance/index.js';
import { createInspectorApp } from './app.js';
import { AssetTable } from './assets.js';
import { isLoopbackListenAddress } from './loopback.js';

export const DEFAULT_INSPECTOR_PORT = 4680;

export interface InspectorOptions {
  store: Store;
  /** Default 4680; 0 picks a free port. */
  port?: number;
  /** A loopback address to listen on: 127.0.0.1 (default), another 127.x address, ::1 or localhost. */
  host?: string;
  /** The built web UI. Default: the one shipped in the package (dist/inspector/web). */
  assetsDir?: string;
  /** `arbor` plus the flags that reach the same store, for the commands the UI shows. Default `arbor`. */
  commandPrefix?: string;
}

export interface Inspector {
  /** Where to open it, such as http://127.0.0.1:4680/. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** Stops listening and drops open connections. The store stays open (it is the caller's). */
  close(): Promise<void>;
}

/** The web UI built into the package: the same path from src/inspector and from dist/inspector. */
export function defaultAssetsDir(): string {
  return fileURLToPath(new URL('../../dist/inspector/web/', import.meta.url));
}

/**
 * Starts the inspector: a local HTTP server with a read-only JSON API over the store and the web UI. It
 * listens on loopback only and refuses requests from other machines or under other host names.
 */
export async function startInspector(options: InspectorOptions): Promise<Inspector> {
  const host = options.host ?? '127.0.0.1';
  if (!isLoopbackListenAddress(host)) {
    throw new UsageError(
      `The inspector listens on loopback only, not on "${host}"`,
      'Use 127.0.0.1, ::1 or localhost; to look from another machine, forward the port with ssh -L.',
      { host },
    );
  }
  const port = options.port ?? DEFAULT_INSPECTOR_PORT;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`The port must be an integer from 0 to 65535, not ${port}`);
  const assets = AssetTable.load(options.assetsDir ?? defaultAssetsDir());
  const app = createInspectorApp({ store: options.store, assets, ...(options.commandPrefix === undefined ? {} : { commandPrefix: options.commandPrefix }) });
  const server = createAdaptorServer({ fetch: app.fetch }) as Server;

  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => reject(error.code === 'EADDRINUSE' ? new PortInUseError(host, port, error) : error);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const urlHost = host === 'localhost' ? 'localhost' : address.address.includes(':') ? `[${address.address}]` : address.address;
  let closed: Promise<void> | undefined;
  return {
    url: `http://${urlHost}:${address.port}/`,
    host: address.address,
    port: address.port,
    close: () => {
      closed ??= new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      });
      return closed;
    },
  };
}
