import { ArborError } from './arbor-error.js';

/** The inspector's built web UI is not where it should be (a source checkout that was not built). */
export class InspectorAssetsMissingError extends ArborError {
  constructor(directory: string) {
    super('ARBOR_INSPECTOR_ASSETS_MISSING', `The inspector's web UI is not built: no index.html in ${directory}`, {
      hint: 'Run "npm run build" in the Arbor checkout (installed packages ship it built).',
      data: { directory },
    });
    this.name = 'InspectorAssetsMissingError';
  }
}
