export { approveAll, denyIrreversible, type ApprovalDecision, type ApprovalPolicy, type ApprovalRequest } from './approval.js';
export { Executor, Run, type ExecuteOptions, type ExecutorEvent, type ExecutorOptions, type StartRunOptions } from './executor.js';
export type { Guard, GuardCall, GuardVerdict } from './guard.js';
export { systemEntropy, type EntropySources } from './nondeterminism.js';
export type { StepResult } from './step-result.js';
