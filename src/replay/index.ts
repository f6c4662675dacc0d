export { fork, type ForkChange, type ForkOptions, type ForkResult } from './fork.js';
export { replay, type ReplayDivergence, type ReplayMode, type ReplayOptions, type ReplayReport } from './replay.js';
export { logicalSteps } from './logical-steps.js';
