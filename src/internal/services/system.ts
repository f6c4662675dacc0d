import { spawn, spawnSync } from 'node:child_process';
import { accessSync, constants, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { delimiter, join } from 'node:path';

/** A TCP port on 127.0.0.1 that nothing listens on right now (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** The first executable named `name` on PATH or in `extraDirs`, or undefined. */
export function findExecutable(name: string, extraDirs: readonly string[] = []): string | undefined {
  const dirs = [...extraDirs, ...(process.env.PATH ?? '').split(delimiter).filter(Boolean)];
  for (const dir of dirs) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

export function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

/** uid and gid of a local user from /etc/passwd, or undefined when there is no such user. */
export function lookupUser(name: string): { uid: number; gid: number } | undefined {
  let passwd: string;
  try {
    passwd = readFileSync('/etc/passwd', 'utf8');
  } catch {
    return undefined;
  }
  for (const line of passwd.split('\n')) {
    const [user, , uid, gid] = line.split(':');
    if (user === name && uid !== undefined && gid !== undefined) return { uid: Number(uid), gid: Number(gid) };
  }
  return undefined;
}

let aptUpdated = false;

/**
 * Installs Debian packages with apt-get when this process may (root, no prompt: CI runs this way). Other
 * users get an error that says which command to run, rather than a password prompt in the middle of a test.
 */
export function aptInstall(packages: readonly string[], log: (line: string) => void = () => undefined): Promise<void> {
  // PostgreSQL and Redis start side by side: their installs go one after the other (apt-get's list and
  // dpkg locks are not meant for two of it at once), and the package lists are updated once.
  const install = aptQueue.then(() => aptInstallNow(packages, log));
  aptQueue = install.catch(() => undefined);
  return install;
}

let aptQueue: Promise<void> = Promise.resolve();

async function aptInstallNow(packages: readonly string[], log: (line: string) => void): Promise<void> {
  if (!isRoot()) {
    throw new Error(`Missing Debian package(s) ${packages.join(', ')}: install them with "sudo apt-get install -y ${packages.join(' ')}" (only root can install them automatically)`);
  }
  if (findExecutable('apt-get') === undefined) {
    throw new Error(`Missing ${packages.join(', ')} and there is no apt-get here: install them with your system's package manager`);
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  // Another apt-get (a parallel job, unattended upgrades) may hold the lock: wait for it instead of failing.
  const lock = ['-o', 'DPkg::Lock::Timeout=600'];
  if (!aptUpdated) {
    log('apt-get update');
    await run('apt-get', [...lock, 'update', '-qq'], env);
    aptUpdated = true;
  }
  log(`apt-get install ${packages.join(' ')}`);
  await run('apt-get', [...lock, 'install', '-y', '-qq', '--no-install-recommends', ...packages], env);
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)));
    child.stderr.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${command} ${args.join(' ')} exited with ${code}:\n${output}`))));
  });
}

/** Runs a command to completion, as another user when `as` is given (root only). Throws with its output on failure. */
export function runSync(command: string, args: string[], options: { as?: { uid: number; gid: number }; cwd?: string } = {}): string {
  const result = spawnSync(command, args, {
    encoding: 'utf8',
    cwd: options.cwd,
    ...(options.as ? { uid: options.as.uid, gid: options.as.gid } : {}),
  });
  if (result.error !== undefined) throw result.error;
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} exited with ${result.status}:\n${result.stdout}${result.stderr}`);
  return result.stdout;
}

/** Waits until `probe` resolves true, polling; fails early when `failed()` returns a reason. */
export async function waitFor(what: string, probe: () => Promise<boolean>, options: { timeoutMs: number; failed?: () => string | undefined }): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  for (let delay = 20; ; delay = Math.min(delay * 2, 250)) {
    const reason = options.failed?.();
    if (reason !== undefined) throw new Error(`${what} did not start: ${reason}`);
    if (await probe().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`${what} did not become ready within ${options.timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
}
