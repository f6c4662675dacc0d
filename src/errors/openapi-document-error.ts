import { ArborError } from './arbor-error.js';

/** An OpenAPI document cannot be imported: not OpenAPI 3, a broken $ref, an operation that cannot be named. */
export class OpenApiDocumentError extends ArborError {
  constructor(document: string, message: string, options: { hint?: string; pointer?: string } = {}) {
    super('ARBOR_OPENAPI_DOCUMENT', `OpenAPI document "${document}": ${message}`, {
      hint: options.hint ?? 'Check the document against the OpenAPI 3.0/3.1 specification; Swagger 2.0 documents must be converted first.',
      data: { document, ...(options.pointer === undefined ? {} : { pointer: options.pointer }) },
    });
    this.name = 'OpenApiDocumentError';
  }
}
