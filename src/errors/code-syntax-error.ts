import { ArborError } from './arbor-error.js';

/** The agent's code does not parse. Line and column are positions in that code (1-based). */
export class CodeSyntaxError extends ArborError {
  readonly line: number | null;
  readonly column: number | null;

  constructor(message: string, position: { line: number | null; column: number | null }, data: Record<string, unknown> = {}) {
    super('ARBOR_CODE_SYNTAX', `SyntaxError${at(position)}: ${message}`, {
      hint: 'Fix the code at that position and run it again.',
      data: { errorName: 'SyntaxError', errorMessage: message, line: position.line, column: position.column, ...data },
    });
    this.name = 'CodeSyntaxError';
    this.line = position.line;
    this.column = position.column;
  }
}

export function at(position: { line: number | null; column: number | null }): string {
  if (position.line === null) return '';
  return position.column === null ? ` at line ${position.line}` : ` at line ${position.line}, column ${position.column}`;
}
