import { z } from 'zod';

/*
 * The file format of FSM environments (JSON or YAML). Documented in README.md under "FSM environments".
 * Strict objects: a misspelt field is an error that names it, not a silently ignored key.
 */

const scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);
const identifier = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an identifier: letters, digits and _, not starting with a digit');

/** A set of values: a list, or the name of one of the domain's `sets`. */
const valuesRef = z.union([z.array(scalar).min(1), identifier]);

const valueType = z.strictObject({
  type: z.enum(['boolean', 'integer', 'enum', 'string']),
  min: z.number().int().optional(),
  max: z.number().int().optional(),
  values: valuesRef.optional(),
  description: z.string().optional(),
});

export const variableSchema = z.strictObject({
  type: z.enum(['boolean', 'integer', 'enum', 'string', 'map']),
  min: z.number().int().optional(),
  max: z.number().int().optional(),
  values: valuesRef.optional(),
  /** Map variables: the keys, and the type of each entry. */
  keys: valuesRef.optional(),
  value: valueType.optional(),
  initial: z.union([scalar, z.record(z.string(), scalar)]),
  description: z.string().optional(),
});

const condition = z.union([
  z.string(),
  z.strictObject({ check: z.string(), reason: z.string().optional(), name: z.string().optional() }),
]);

export const actionSchema = z.strictObject({
  name: z.string().min(1),
  description: z.string().min(1),
  effect: z.enum(['read', 'write', 'irreversible']),
  cost: z.number().nonnegative().optional(),
  group: z.string().optional(),
  tags: z.array(z.string()).optional(),
  /** Expands the action over values: one action per combination, `{key}` replaced in name and description. */
  for: z.record(identifier, valuesRef).optional(),
  args: z.record(identifier, valueType).optional(),
  /** Preconditions: when one does not hold, the step is blocked. */
  when: z.union([condition, z.array(condition)]).optional(),
  /** Failures: the first that holds fails the step with its message. */
  fail: z.array(z.strictObject({ if: z.string(), message: z.string() })).optional(),
  /** Assignments, made together: target (variable or map entry) to an expression (strings) or a literal. */
  set: z.record(z.string(), scalar).optional(),
  /** What the step returns: expressions by key. Default: { ok: true }. */
  output: z.record(z.string(), z.string()).optional(),
  inverse: z.string().optional(),
  reversible: z.boolean().optional(),
});

const solutionStep = z.union([z.string(), z.strictObject({ action: z.string(), args: z.record(z.string(), scalar).optional() })]);

export const taskSchema = z.strictObject({
  id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'must be letters, digits, _ . -'),
  instruction: z.string().min(1),
  /** Initial values that differ from the variables' own (`picked.bolt` sets one map entry). */
  initial: z.record(z.string(), scalar).optional(),
  goal: z.string(),
  /** A reference plan: checked to reach the goal when the file is loaded. */
  solution: z.array(solutionStep).optional(),
  tags: z.array(z.string()).optional(),
});

export const domainSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'must be lower-case letters, digits and -'),
  description: z.string().min(1),
  sets: z.record(identifier, z.array(scalar).min(1)).optional(),
  /** Named JSON values every expression can read (adjacency lists, prices, where things are...). */
  constants: z.record(identifier, z.json()).optional(),
  variables: z.record(identifier, variableSchema),
  actions: z.array(actionSchema).min(1),
  tasks: z.array(taskSchema).min(1),
});

export type DomainDefinition = z.infer<typeof domainSchema>;
export type ActionDefinitionFile = z.infer<typeof actionSchema>;
export type VariableDefinition = z.infer<typeof variableSchema>;
export type ValueTypeDefinition = z.infer<typeof valueType>;
export type TaskDefinition = z.infer<typeof taskSchema>;
export type Scalar = z.infer<typeof scalar>;
