import { ArborError } from './arbor-error.js';

/** The budget resources a search or a policy call is limited by. */
export type BudgetResource = 'modelCalls' | 'tokens' | 'expansions' | 'wallTime';

/**
 * A call was refused because it would have spent more of a budget than is left. Nothing was spent on it:
 * a policy throws this instead of making the call, and a planner stops its search with what it has.
 */
export class BudgetExceededError extends ArborError {
  readonly resource: BudgetResource;
  readonly limit: number;
  readonly wanted: number;

  constructor(resource: BudgetResource, limit: number, wanted: number, hint?: string) {
    super('ARBOR_BUDGET_EXCEEDED', `The ${describe(resource)} budget (${limit}) does not allow this call (it needs ${wanted})`, {
      hint: hint ?? `Raise the ${describe(resource)} budget, or narrow the candidates shown to the model so each call costs less.`,
      data: { resource, limit, wanted },
    });
    this.name = 'BudgetExceededError';
    this.resource = resource;
    this.limit = limit;
    this.wanted = wanted;
  }
}

function describe(resource: BudgetResource): string {
  switch (resource) {
    case 'modelCalls':
      return 'model-call';
    case 'tokens':
      return 'token';
    case 'expansions':
      return 'expansion';
    case 'wallTime':
      return 'wall-time';
  }
}
