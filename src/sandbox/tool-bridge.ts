import type { ActionContext, ActionSpace, AnyAction, Effect } from '../actions/index.js';
import { SandboxForbiddenError } from '../errors/index.js';
import type { SandboxRunOptions } from './sandbox.js';

const EFFECT_RANK: Record<Effect, number> = { read: 0, write: 1, irreversible: 2 };

/** Tag of actions that run sandboxed code themselves; they are not offered inside the sandbox by default. */
export const CODE_ACTION_TAG = 'code';

export interface ToolExposure {
  /** The most consequential effect a tool may have to be callable from the code. */
  effect: Effect;
  /** Further narrows the tools offered. Default: every action not tagged `code`. */
  tools?: (action: AnyAction) => boolean;
  /** Never offered (the calling action itself). */
  exclude?: string;
}

/** Whether code running under `exposure` may call `action`. */
export function isExposed(action: AnyAction, exposure: ToolExposure): boolean {
  if (action.name === exposure.exclude) return false;
  if (EFFECT_RANK[action.effect] > EFFECT_RANK[exposure.effect]) return false;
  return exposure.tools === undefined ? !action.tags.includes(CODE_ACTION_TAG) : exposure.tools(action);
}

/**
 * Connects sandboxed code to the enclosing step: each tool call is `ctx.call`, so it is validated, put
 * through preconditions, guards and the approval policy, and recorded as a child step of that step, just
 * as a direct call would be; `Date` and `Math.random` read the step's recorded clock.
 */
export function bridgeToContext(
  actions: ActionSpace,
  ctx: ActionContext,
  exposure: ToolExposure,
): Pick<SandboxRunOptions, 'tools' | 'callTool' | 'clock' | 'signal'> {
  return {
    // Read when the code runs, not when the action was made: actions added since (saved ones) are in.
    tools: actions.list().filter((action) => isExposed(action, exposure)).map((action) => action.name),
    callTool: async (name, input) => {
      const action = actions.get(name);
      if (!isExposed(action, exposure)) {
        const reason =
          EFFECT_RANK[action.effect] > EFFECT_RANK[exposure.effect]
            ? `it is ${action.effect} and this code may only call tools up to ${exposure.effect}`
            : 'it is not offered to this code';
        throw new SandboxForbiddenError(`the tool "${name}"`, reason, 'Call it as its own step instead, where the approval policy can see it.', {
          tool: name,
          effect: action.effect,
        });
      }
      return ctx.call(name, input);
    },
    clock: { now: () => ctx.now(), random: () => ctx.random() },
    signal: ctx.signal,
  };
}
