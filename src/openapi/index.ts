export {
  DEFAULT_METHOD_EFFECTS,
  importOpenApi,
  type HttpMethod,
  type ImportedOpenApi,
  type OpenApiAuth,
  type OpenApiCallResult,
  type OpenApiImportOptions,
  type OperationOverride,
  type SkippedOperation,
} from './import-openapi.js';
