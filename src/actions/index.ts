export {
  defineAction,
  EFFECTS,
  type Action,
  type ActionContext,
  type ActionDefinition,
  type ActionSource,
  type ArgumentMask,
  type MaskCheck,
  type Postcondition,
  type PostconditionResult,
  type AnyAction,
  type Effect,
  type Precondition,
  type PreconditionResult,
  type RetryPolicy,
} from './action.js';
export {
  ActionSpace,
  describeAction,
  inputJsonSchemaOf,
  type ActionDescriptor,
  type ActionFilter,
  type ActionSpaceEvent,
  type ActionSpaceListener,
} from './action-space.js';
export { validateWith, type ValidationResult } from './validate.js';
