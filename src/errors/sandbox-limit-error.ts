import { ArborError } from './arbor-error.js';

export type SandboxLimit = 'time' | 'cpu' | 'memory' | 'stack' | 'output' | 'toolCalls';

const CODES: Record<SandboxLimit, string> = {
  time: 'ARBOR_SANDBOX_TIMEOUT',
  cpu: 'ARBOR_SANDBOX_CPU',
  memory: 'ARBOR_SANDBOX_MEMORY',
  stack: 'ARBOR_SANDBOX_STACK',
  output: 'ARBOR_SANDBOX_OUTPUT',
  toolCalls: 'ARBOR_SANDBOX_TOOL_CALLS',
};

const HINTS: Record<SandboxLimit, string> = {
  time: 'Do less per run (fewer or cheaper tool calls), or raise limits.timeMs.',
  cpu: 'Look for an endless loop; otherwise do less work per run or raise limits.cpuTicks.',
  memory: 'Build smaller values (stream through tool calls instead of accumulating), or raise limits.memoryBytes.',
  stack: 'Replace deep recursion by a loop, or raise limits.stackBytes.',
  output: 'Print or return a summary instead of everything, or raise limits.outputBytes.',
  toolCalls: 'Make fewer tool calls per run (batch them, or split the work over several runs), or raise limits.toolCalls.',
};

/** Sandboxed code reached one of its limits and was stopped. The host is unaffected. */
export class SandboxLimitError extends ArborError {
  readonly limit: SandboxLimit;

  constructor(limit: SandboxLimit, detail: string, data: Record<string, unknown> = {}) {
    super(CODES[limit], `The sandbox stopped the code: ${detail}`, { hint: HINTS[limit], data: { limit, ...data } });
    this.name = 'SandboxLimitError';
    this.limit = limit;
  }
}
