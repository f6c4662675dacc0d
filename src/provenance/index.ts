export { canonicalJson, hashJson, sha256, type HashedJson } from './content-hash.js';
export {
  diffRuns,
  exportRun,
  getRunOrThrow,
  lineage,
  resolveRunId,
  resolveStep,
  runSteps,
  type RunDiff,
  type RunExport,
  type StepChange,
  type StepDiff,
} from './queries.js';
export {
  stepIdOf,
  type GeneratedActionRecord,
  type NondeterministicValue,
  type RunQuery,
  type RunRecord,
  type RunStatus,
  type RunSummary,
  type SearchNodeRecord,
  type StepRecord,
  type StepStatus,
  type StepWrite,
  type Store,
} from './store.js';
export { openStore } from './open-store.js';
