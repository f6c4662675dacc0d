import { ArborError } from './arbor-error.js';

/** A JSON Schema from an MCP server or OpenAPI document can neither be converted to zod nor compiled. */
export class UnsupportedSchemaError extends ArborError {
  readonly subject: string;

  constructor(subject: string, reason: string, schema: unknown) {
    super('ARBOR_UNSUPPORTED_SCHEMA', `The input schema of ${subject} cannot be used: ${reason}`, {
      hint: 'The tool is left out of the action space. Fix the schema at its source, or exclude the tool in arbor.config.json.',
      data: { subject, reason, schema },
    });
    this.name = 'UnsupportedSchemaError';
    this.subject = subject;
  }
}
