export { startPostgres, findPostgresBin, type StartPostgresOptions } from './postgres-server.js';
export { startRedis, type StartRedisOptions } from './redis-server.js';
export { isAlive, stopProcess, type RunningService } from './running-service.js';
export { createTestDatabase, withClient } from './test-databases.js';
export { aptInstall, freePort } from './system.js';
