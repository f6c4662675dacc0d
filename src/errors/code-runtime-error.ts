import { ArborError } from './arbor-error.js';
import { at } from './code-syntax-error.js';

const HOST_ONLY_NAMES =
  /\b(process|require|module|exports|Buffer|global|fetch|__dirname|__filename|window|document|XMLHttpRequest|WebSocket|setInterval|setImmediate|performance|navigator|Deno|Bun)\b/;

export interface CodeRuntimeErrorDetails {
  /** The guest error's name: TypeError, ReferenceError, ToolError... */
  errorName: string;
  errorMessage: string;
  line: number | null;
  column: number | null;
  /** Stack frames in the agent's code. */
  stack: string;
  /** Set when the uncaught error is a tool call that failed. */
  tool?: { name: string; code: string; status?: string };
}

/** The agent's code threw and did not catch it. Line and column are positions in that code (1-based). */
export class CodeRuntimeError extends ArborError {
  readonly errorName: string;
  readonly line: number | null;
  readonly column: number | null;
  readonly tool: CodeRuntimeErrorDetails['tool'];

  constructor(details: CodeRuntimeErrorDetails, data: Record<string, unknown> = {}) {
    const what = details.tool === undefined ? details.errorMessage : `tool "${details.tool.name}" failed (${details.tool.code}): ${details.errorMessage}`;
    super('ARBOR_CODE_RUNTIME', `${details.errorName}${at(details)}: ${what}`, {
      hint: hintFor(details),
      data: { ...details, ...data },
    });
    this.name = 'CodeRuntimeError';
    this.errorName = details.errorName;
    this.line = details.line;
    this.column = details.column;
    this.tool = details.tool;
  }
}

function hintFor(details: CodeRuntimeErrorDetails): string {
  if (details.tool?.code === 'ARBOR_APPROVAL_REQUIRED') return 'The tool is irreversible and was not approved; do without it, or ask the user to approve it.';
  if (details.tool?.code === 'ARBOR_INVALID_INPUT') return "Fix the tool's input to match its schema and run the code again.";
  if (details.tool !== undefined) return 'Catch the ToolError (it has .code and .tool) or change the call, then run the code again.';
  if (details.errorName === 'ReferenceError' && HOST_ONLY_NAMES.test(details.errorMessage)) {
    return 'The sandbox has no Node.js or browser APIs: call tools with `await tools.<name>(input)` and print with console.log.';
  }
  return 'Fix the code at that position and run it again.';
}
