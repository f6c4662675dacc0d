export { runBatch, type BatchProgress, type BatchReport, type RunBatchOptions, type TaskResult } from './batch.js';
export { DECISION_NAMESPACE, greedySolver } from './greedy-solver.js';
export { loadWorkerPlugin, type WorkerPlugin } from './plugin.js';
export { checkQueueUrl, connectQueue, DEFAULT_QUEUE_NAME, redactRedisUrl } from './queue-connection.js';
export { isRateLimited, limitPolicy, RedisRateLimiter, type LimitPolicyOptions, type RateLimit, type RateLimiterStats } from './rate-limiter.js';
export { assertNothingInDoubt, openJobRun, restoreWorld, type OpenedJobRun } from './resume.js';
export type { PolicyFactory, SnapshotCapable, SolveContext, TaskJob, TaskOutcome, TaskProgress, TaskSolver, TaskStatus } from './solver.js';
export { parseTasks, readTasksFile, TaskBudgetSchema, TaskSpecSchema, type TaskBudget, type TaskDefaults, type TaskSpec } from './task-spec.js';
export { builtinSolvers, startWorker, type ArborWorker, type StartWorkerOptions, type WorkerEvent, type WorkerRegistry } from './worker.js';
