import { isIP } from 'node:net';

/** Whether a socket's remote address is on this machine's loopback (127.0.0.0/8, ::1, or IPv4-mapped 127.x). */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (address === undefined || address === '') return false;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  const ip = mapped?.[1] ?? address;
  const family = isIP(ip);
  if (family === 4) return ip.startsWith('127.');
  if (family === 6) return ip === '::1' || /^0{0,4}(:0{0,4}){6}:0{0,3}1$/.test(ip);
  return false;
}

/**
 * Whether an HTTP Host header names this machine's loopback: `localhost`, a 127.x address or `[::1]`, with
 * an optional port. Anything else means the browser reached the server under another name (DNS
 * rebinding), so the request is refused.
 */
export function isLoopbackHost(host: string | undefined): boolean {
  if (host === undefined) return false;
  const value = host.trim().toLowerCase();
  const bracketed = /^\[([0-9a-f:.]+)\](?::(\d{1,5}))?$/.exec(value);
  if (bracketed !== null) return isLoopbackAddress(bracketed[1]);
  const plain = /^([a-z0-9.-]+)(?::(\d{1,5}))?$/.exec(value);
  if (plain === null) return false;
  const name = plain[1] as string;
  if (name === 'localhost' || name === 'localhost.') return true;
  return isIP(name) === 4 && isLoopbackAddress(name);
}

/** Whether a listen address is a loopback one (what `arbor inspect --host` accepts). */
export function isLoopbackListenAddress(host: string): boolean {
  return host === 'localhost' || isLoopbackAddress(host);
}
