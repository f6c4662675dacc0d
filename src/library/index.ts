export { ActionLibrary, GENERATED_TAG, type ActionLibraryOptions, type LoadReport, type SaveGeneratedActionRequest, type SaveOutcome } from './action-library.js';
export { parseFunction, schemaOfValue, type ParsedFunction } from './parse-function.js';
export { createSaveAction, SAVE_ACTION, type SaveActionInput, type SaveActionOutput } from './save-action.js';
export type { GeneratedActionRecord } from '../provenance/index.js';
