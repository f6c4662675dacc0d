import type { HttpBindings } from '@hono/node-server';
import { Hono } from 'hono';
import type { Store } from '../provenance/index.js';
import { createApi } from './api.js';
import type { ApiErrorBody } from './api-types.js';
import type { AssetTable } from './assets.js';
import { isLoopbackAddress, isLoopbackHost } from './loopback.js';

export interface InspectorAppOptions {
  store: Store;
  assets: AssetTable;
  commandPrefix?: string;
}

const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

function refused(code: string, message: string, hint: string): ApiErrorBody {
  return { error: { code, message, hint } };
}

/**
 * The inspector's HTTP application: a loopback guard, security headers, the JSON API under /api and the
 * built web UI. It only reads the store.
 */
export function createInspectorApp(options: InspectorAppOptions): Hono<{ Bindings: HttpBindings }> {
  const app = new Hono<{ Bindings: HttpBindings }>();

  // Checked before anything else: the peer must be this machine, and the browser must have reached us by a
  // loopback name (a page on another site that rebinds its DNS name to 127.0.0.1 sends its own Host).
  app.use('*', async (c, next) => {
    const remote = (c.env as Partial<HttpBindings> | undefined)?.incoming?.socket?.remoteAddress;
    if (!isLoopbackAddress(remote)) {
      return c.json(refused('ARBOR_INSPECTOR_REMOTE_REFUSED', `The inspector answers only this machine, not ${remote ?? 'an unknown peer'}`, 'Open it from the machine it runs on, or through an SSH tunnel.'), 403);
    }
    if (!isLoopbackHost(c.req.header('host'))) {
      return c.json(refused('ARBOR_INSPECTOR_HOST_REFUSED', `The inspector answers only loopback host names, not "${c.req.header('host') ?? ''}"`, 'Open http://127.0.0.1:<port>/ or http://localhost:<port>/.'), 403);
    }
    const origin = c.req.header('origin');
    if (origin !== undefined && origin !== 'null' && !isLoopbackOrigin(origin)) {
      return c.json(refused('ARBOR_INSPECTOR_ORIGIN_REFUSED', `Requests from ${origin} are refused`, 'Only pages served by the inspector itself may call its API.'), 403);
    }
    await next();
    c.header('Content-Security-Policy', CONTENT_SECURITY_POLICY);
    c.header('X-Content-Type-Options', 'nosniff');
    c.header('Referrer-Policy', 'no-referrer');
    c.header('X-Frame-Options', 'DENY');
    c.header('Cross-Origin-Resource-Policy', 'same-origin');
  });

  app.use('/api/*', async (c, next) => {
    await next();
    c.header('Cache-Control', 'no-store');
  });
  app.route('/api', createApi(options));

  app.on(['GET', 'HEAD'], '*', (c) => {
    const rawPath = new URL(c.req.url).pathname;
    let path: string;
    try {
      path = decodeURIComponent(rawPath);
    } catch {
      return c.text('Bad request: malformed percent-encoding\n', 400);
    }
    const asset = path.includes('\0') ? undefined : options.assets.get(path);
    if (asset === undefined) return c.text('Not found\n', 404);
    c.header('Content-Type', asset.contentType);
    c.header('Cache-Control', asset.immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
    return c.body(asset.body as Uint8Array<ArrayBuffer>);
  });
  app.all('*', (c) => c.text('Method not allowed\n', 405));
  return app;
}

function isLoopbackOrigin(origin: string): boolean {
  try {
    const url = new URL(origin);
    return (url.protocol === 'http:' || url.protocol === 'https:') && isLoopbackHost(url.host);
  } catch {
    return false;
  }
}
