#!/usr/bin/env node
// Installs, starts and stops the PostgreSQL and Redis servers that Arbor's tests and benchmarks use.
//
//   node scripts/services.mjs install   apt-get install postgresql redis-server when missing (root, as in CI)
//   node scripts/services.mjs start     start both on free loopback ports, in temporary directories; prints
//                                       ARBOR_TEST_POSTGRES_URL=... and ARBOR_TEST_REDIS_URL=... (eval-able)
//   node scripts/services.mjs status    show what is running
//   node scripts/services.mjs stop      stop both and delete their directories
//
// `npm test` does not need this: its global setup starts and stops its own servers. Use it to keep servers
// running across test runs (export the printed variables) or to try `arbor worker` by hand.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const entry = join(root, 'dist/internal/services/index.js');
const stateFile = join(root, '.cache/services.json');
const log = (line) => console.error(`[services] ${line}`);

if (!existsSync(entry)) {
  console.error(`Build first: ${entry} is missing (npm run build).`);
  process.exit(2);
}
const services = await import(pathToFileURL(entry).href);
const command = process.argv[2] ?? 'help';

function readState() {
  try {
    return JSON.parse(readFileSync(stateFile, 'utf8'));
  } catch {
    return undefined;
  }
}

switch (command) {
  case 'install': {
    const missing = [];
    if (services.findPostgresBin() === undefined) missing.push('postgresql');
    if (!['/usr/bin/redis-server', '/usr/local/bin/redis-server'].some((path) => existsSync(path))) missing.push('redis-server');
    if (missing.length > 0) await services.aptInstall(missing, log);
    log(missing.length > 0 ? `installed ${missing.join(', ')}` : 'postgresql and redis-server are installed');
    break;
  }
  case 'start': {
    const running = readState();
    if (running !== undefined && running.every((service) => services.isAlive(service.pid))) {
      log('already running');
    } else {
      const started = await Promise.all([services.startPostgres({ detached: true, log }), services.startRedis({ detached: true, log })]);
      mkdirSync(dirname(stateFile), { recursive: true });
      writeFileSync(stateFile, JSON.stringify(started.map(({ name, url, port, pid, dir }) => ({ name, url, port, pid, dir })), null, 2));
    }
    for (const service of readState()) {
      console.log(`export ARBOR_TEST_${service.name.toUpperCase()}_URL=${service.url}`);
    }
    break;
  }
  case 'status': {
    const state = readState() ?? [];
    if (state.length === 0) console.log('not running');
    for (const service of state) console.log(`${service.name}\t${service.url}\tpid ${service.pid}\t${services.isAlive(service.pid) ? 'running' : 'gone'}`);
    break;
  }
  case 'stop': {
    const state = readState() ?? [];
    await Promise.all(state.map((service) => services.stopProcess(service.pid, service.name === 'postgres' ? 'SIGINT' : 'SIGTERM', service.dir)));
    rmSync(stateFile, { force: true });
    log(state.length > 0 ? `stopped ${state.map((service) => service.name).join(', ')}` : 'nothing was running');
    break;
  }
  default:
    console.error('usage: node scripts/services.mjs install|start|status|stop');
    process.exit(command === 'help' ? 0 : 2);
}
