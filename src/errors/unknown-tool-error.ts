import { ArborError } from './arbor-error.js';

/** The model chose an action (tool) that was not among the candidates it was shown. */
export class UnknownToolError extends ArborError {
  readonly tool: string;
  readonly available: string[];
  readonly suggestions: string[];

  constructor(tool: string, available: string[], suggestions: string[] = []) {
    super('ARBOR_MODEL_UNKNOWN_TOOL', `The model chose "${tool}", which is not among the ${available.length} candidate action${available.length === 1 ? '' : 's'} it was shown`, {
      hint: suggestions.length > 0 ? `It may have meant ${suggestions.map((name) => `"${name}"`).join(', ')}; a stronger model or fewer candidates help.` : 'A stronger model, a lower temperature or fewer candidates make this rarer.',
      data: { tool, available: available.slice(0, 50), suggestions },
    });
    this.name = 'UnknownToolError';
    this.tool = tool;
    this.available = available;
    this.suggestions = suggestions;
  }
}
