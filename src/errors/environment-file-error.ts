import { ArborError } from './arbor-error.js';

/** Where in an environment file a problem is: 1-based line and column, and the field's path. */
export interface FilePosition {
  file: string;
  line: number;
  column: number;
  /** The field concerned, as a dotted path (`actions.3.args.to`), or '' for the whole document. */
  field: string;
}

/** An environment definition file (JSON or YAML) is malformed. Nothing was loaded from it. */
export class EnvironmentFileError extends ArborError {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly field: string;

  constructor(position: FilePosition, problem: string, hint?: string) {
    const where = `${position.file}:${position.line}:${position.column}`;
    super('ARBOR_ENVIRONMENT_FILE', `${where}: ${position.field === '' ? '' : `${position.field}: `}${problem}`, {
      hint: hint ?? 'Fix the field named in the message; the format is described in README.md under "FSM environments".',
      data: { ...position, problem },
    });
    this.name = 'EnvironmentFileError';
    this.file = position.file;
    this.line = position.line;
    this.column = position.column;
    this.field = position.field;
  }
}
