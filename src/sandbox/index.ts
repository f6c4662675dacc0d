export { DEFAULT_SANDBOX_LIMITS, resolveLimits, type SandboxLimits } from './limits.js';
export {
  MAX_GLOBAL_TOOLS,
  MAX_LISTED_TOOLS,
  Sandbox,
  sharedSandbox,
  type CodePosition,
  type SandboxClock,
  type SandboxOptions,
  type SandboxOutcome,
  type SandboxRunOptions,
  type SandboxToolCall,
} from './sandbox.js';
export type { RunStats } from './protocol.js';
export { createRunCodeAction, RUN_CODE_ACTION, type RunCodeActionOptions, type RunCodeInput, type RunCodeOutput } from './run-code-action.js';
export { bridgeToContext, CODE_ACTION_TAG, isExposed, type ToolExposure } from './tool-bridge.js';
export {
  formatCodeFeedback,
  runCodeWithRepair,
  type CodeAttempt,
  type CodeWriter,
  type CodeWriterRequest,
  type SelfDebugOptions,
  type SelfDebugResult,
} from './self-debug.js';
