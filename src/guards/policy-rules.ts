import type { ActionSource, Effect } from '../actions/index.js';
import { InvalidDefinitionError, type ValidationIssue } from '../errors/index.js';
import type { JsonValue } from '../internal/json.js';
import { policyConfigSchema, type ArgumentMatcher, type PolicyDecisionKind, type PolicyDefinition, type PolicyRule } from './config-schema.js';
import { parseArgumentPath, valuesAtPath, type ArgumentPathSegment } from './masks.js';
import { isLiteral, matchesPattern, patternMatcher } from './patterns.js';
import { zodIssues } from './zod-issues.js';
import { safeParse } from '../internal/safe-parse.js';

/*
 * Policy rules decide calls by what they are: the action's name, its effect class, where it came from and
 * its arguments. Two ways to pick the deciding rule among those that match:
 *  - `first-match` (default): rules are tried in order and the first that matches decides, like a firewall.
 *  - `most-specific`: the matching rule with the most specific conditions decides (see `specificity`);
 *    ties go to the more cautious decision (deny, then ask, then allow), then to the earlier rule.
 * When no rule matches, `default` decides (default `allow`: the executor still refuses irreversible
 * actions without approval, whatever the rules say).
 */

/** What a policy decides about: one call. */
export interface PolicyQuery {
  action: string;
  effect: Effect;
  source: ActionSource;
  input: unknown;
}

export interface ConditionResult {
  /** `action`, `effect`, `source.kind`, `source.name` or `args.<path>`. */
  condition: string;
  matched: boolean;
  /** What was compared with what, in words. */
  detail: string;
}

export interface RuleEvaluation {
  index: number;
  /** The rule's id, or `#<position>` (1-based). */
  rule: string;
  decision: PolicyDecisionKind;
  matched: boolean;
  specificity: number;
  conditions: ConditionResult[];
}

export interface PolicyDecision {
  decision: PolicyDecisionKind;
  /** The deciding rule's id or `#<position>`; `default` when no rule matched. */
  rule: string;
  /** Index of the deciding rule, or -1 for the default. */
  index: number;
  mode: 'first-match' | 'most-specific';
  /** Why, in one sentence. */
  reason: string;
  /** Every rule as evaluated, in order (for explanations). */
  evaluations: RuleEvaluation[];
}

interface CompiledRule {
  rule: PolicyRule;
  label: string;
  args: { path: string; segments: ArgumentPathSegment[]; matcher: ArgumentMatcher; test: (value: JsonValue) => boolean }[];
  specificity: number;
}

const CAUTION: Record<PolicyDecisionKind, number> = { deny: 2, ask: 1, allow: 0 };

/** Policy rules compiled for fast matching. Immutable: nothing at run time (tool output least of all) changes them. */
export class PolicyRules {
  readonly mode: 'first-match' | 'most-specific';
  readonly defaultDecision: PolicyDecisionKind;
  readonly rules: readonly PolicyRule[];
  readonly #compiled: CompiledRule[];

  constructor(definition: PolicyDefinition) {
    const parsed = safeParse(policyConfigSchema, definition);
    if (!parsed.success) {
      const issues: ValidationIssue[] = zodIssues(parsed.error);
      throw new InvalidDefinitionError(`Invalid policy: ${issues.slice(0, 3).map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ')}`, {
        hint: 'Policy rules are { decision: "allow"|"deny"|"ask", action?, effect?, source?, args?, id?, reason? }; see README "Guards".',
        data: { issues },
      });
    }
    const ids = new Set<string>();
    for (const rule of parsed.data.rules) {
      if (rule.id === undefined) continue;
      if (ids.has(rule.id)) throw new InvalidDefinitionError(`Policy rule id "${rule.id}" is used twice`, { hint: 'Give every rule its own id.', data: { id: rule.id } });
      ids.add(rule.id);
    }
    this.mode = parsed.data.mode ?? 'first-match';
    this.defaultDecision = parsed.data.default ?? 'allow';
    this.rules = deepFreeze(structuredClone(parsed.data.rules));
    this.#compiled = this.rules.map((rule, index) => compile(rule, index));
  }

  /** Decides a call and says which rule decided and why. */
  decide(query: PolicyQuery): PolicyDecision {
    const evaluations = this.#compiled.map((compiled, index) => evaluate(compiled, index, query));
    let winner: RuleEvaluation | undefined;
    if (this.mode === 'first-match') winner = evaluations.find((evaluation) => evaluation.matched);
    else {
      for (const evaluation of evaluations) {
        if (!evaluation.matched) continue;
        if (
          winner === undefined ||
          evaluation.specificity > winner.specificity ||
          (evaluation.specificity === winner.specificity && CAUTION[evaluation.decision] > CAUTION[winner.decision])
        ) {
          winner = evaluation;
        }
      }
    }
    if (winner === undefined) {
      return {
        decision: this.defaultDecision,
        rule: 'default',
        index: -1,
        mode: this.mode,
        reason: `no rule matches "${query.action}", so the default (${this.defaultDecision}) applies`,
        evaluations,
      };
    }
    const compiled = this.#compiled[winner.index] as CompiledRule;
    const because = winner.conditions.map((condition) => condition.detail).join('; ') || 'it has no conditions';
    const how = this.mode === 'first-match' ? 'is the first rule that matches' : `is the most specific matching rule (specificity ${winner.specificity})`;
    return {
      decision: winner.decision,
      rule: compiled.label,
      index: winner.index,
      mode: this.mode,
      reason: `rule ${compiled.label} (${winner.decision}) ${how}: ${because}${compiled.rule.reason ? `. ${compiled.rule.reason}` : ''}`,
      evaluations,
    };
  }

  /**
   * Whether some input of this action could be allowed or asked for. False when a rule that ignores the
   * arguments denies the action outright (so planners need not be shown it).
   */
  couldAllow(action: Omit<PolicyQuery, 'input'>): boolean {
    const matching = this.#compiled
      .map((compiled, index) => ({ compiled, index, evaluation: evaluate(compiled, index, { ...action, input: undefined }, false) }))
      .filter((entry) => entry.evaluation.matched);
    const absolute = matching.filter((entry) => entry.compiled.args.length === 0);
    if (this.mode === 'first-match') {
      for (const entry of matching) {
        if (entry.compiled.rule.decision !== 'deny') return true;
        if (entry.compiled.args.length === 0) return false;
      }
      return this.defaultDecision !== 'deny';
    }
    const beats = (deny: (typeof matching)[number], other: (typeof matching)[number]) => deny.compiled.specificity >= other.compiled.specificity;
    const denies = absolute.filter((entry) => entry.compiled.rule.decision === 'deny');
    if (matching.some((entry) => entry.compiled.rule.decision !== 'deny' && !denies.some((deny) => beats(deny, entry)))) return true;
    return absolute.length === 0 && this.defaultDecision !== 'deny';
  }
}

/** Validates and compiles policy rules; throws InvalidDefinitionError naming the offending field. */
export function definePolicy(definition: PolicyDefinition): PolicyRules {
  return new PolicyRules(definition);
}

function compile(rule: PolicyRule, index: number): CompiledRule {
  const args = Object.entries(rule.args ?? {}).map(([path, matcher]) => ({ path, segments: parseArgumentPath(path), matcher, test: matcherTest(matcher) }));
  let specificity = 0;
  if (rule.action !== undefined) specificity += patterns(rule.action).every(isLiteral) ? 4 : 2;
  if (rule.effect !== undefined) specificity += 1;
  if (rule.source?.kind !== undefined) specificity += 1;
  if (rule.source?.name !== undefined) specificity += patterns(rule.source.name).every(isLiteral) ? 2 : 1;
  specificity += args.length * 2;
  return { rule, label: rule.id ?? `#${index + 1}`, args, specificity };
}

function evaluate(compiled: CompiledRule, index: number, query: PolicyQuery, withArgs = true): RuleEvaluation {
  const { rule } = compiled;
  const conditions: ConditionResult[] = [];
  if (rule.action !== undefined) {
    const matched = matchesPattern(rule.action, query.action);
    conditions.push({ condition: 'action', matched, detail: `action "${query.action}" ${matched ? 'matches' : 'does not match'} ${show(rule.action)}` });
  }
  if (rule.effect !== undefined) {
    const effects = typeof rule.effect === 'string' ? [rule.effect] : rule.effect;
    const matched = effects.includes(query.effect);
    conditions.push({ condition: 'effect', matched, detail: `effect ${query.effect} ${matched ? 'is' : 'is not'} ${effects.join(' or ')}` });
  }
  if (rule.source?.kind !== undefined) {
    const matched = matchesPattern(rule.source.kind, query.source.kind);
    conditions.push({ condition: 'source.kind', matched, detail: `source kind "${query.source.kind}" ${matched ? 'matches' : 'does not match'} ${show(rule.source.kind)}` });
  }
  if (rule.source?.name !== undefined) {
    const name = query.source.name ?? '';
    const matched = query.source.name !== undefined && matchesPattern(rule.source.name, name);
    conditions.push({ condition: 'source.name', matched, detail: `source name "${name}" ${matched ? 'matches' : 'does not match'} ${show(rule.source.name)}` });
  }
  if (withArgs) {
    for (const arg of compiled.args) {
      const found = valuesAtPath(query.input, arg.segments);
      let matched: boolean;
      let detail: string;
      if ('present' in (typeof arg.matcher === 'object' ? arg.matcher : {})) {
        const wanted = (arg.matcher as { present: boolean }).present;
        matched = (found.length > 0) === wanted;
        detail = `argument ${arg.path} is ${found.length > 0 ? 'present' : 'absent'}`;
      } else {
        const hit = found.find((entry) => arg.test(entry.value));
        matched = hit !== undefined;
        detail =
          found.length === 0
            ? `argument ${arg.path} is absent`
            : hit !== undefined
              ? `argument ${hit.location} ${clip(JSON.stringify(hit.value))} matches ${describeMatcher(arg.matcher)}`
              : `argument ${arg.path} ${clip(JSON.stringify(found.length === 1 ? found[0]?.value : found.map((entry) => entry.value)))} does not match ${describeMatcher(arg.matcher)}`;
      }
      conditions.push({ condition: `args.${arg.path}`, matched, detail });
    }
  }
  return {
    index,
    rule: compiled.label,
    decision: rule.decision,
    matched: conditions.every((condition) => condition.matched),
    specificity: compiled.specificity,
    conditions,
  };
}

function matcherTest(matcher: ArgumentMatcher): (value: JsonValue) => boolean {
  const text = (value: JsonValue) => (typeof value === 'string' ? value : JSON.stringify(value));
  if (typeof matcher === 'string' || Array.isArray(matcher)) {
    const globs: readonly string[] = typeof matcher === 'string' ? [matcher] : matcher;
    return (value) => matchesPattern(globs, text(value));
  }
  if ('glob' in matcher) {
    const test = patternMatcher(matcher.glob);
    return (value) => test(text(value));
  }
  if ('regex' in matcher) {
    const regex = new RegExp(matcher.regex, 'u');
    return (value) => regex.test(text(value));
  }
  if ('equals' in matcher) {
    const key = JSON.stringify(matcher.equals);
    return (value) => JSON.stringify(value) === key;
  }
  if ('in' in matcher) {
    const keys = new Set(matcher.in.map((entry) => JSON.stringify(entry)));
    return (value) => keys.has(JSON.stringify(value));
  }
  if ('present' in matcher) return () => true;
  const { min, max } = matcher;
  return (value) => typeof value === 'number' && (min === undefined || value >= min) && (max === undefined || value <= max);
}

function describeMatcher(matcher: ArgumentMatcher): string {
  if (typeof matcher === 'string') return `"${matcher}"`;
  if (Array.isArray(matcher)) return matcher.map((glob) => `"${glob}"`).join(' or ');
  if ('glob' in matcher) return `"${matcher.glob}"`;
  if ('regex' in matcher) return `/${matcher.regex}/`;
  if ('equals' in matcher) return `= ${JSON.stringify(matcher.equals)}`;
  if ('in' in matcher) return `one of ${clip(JSON.stringify(matcher.in))}`;
  if ('present' in matcher) return matcher.present ? 'present' : 'absent';
  return [matcher.min === undefined ? '' : `>= ${matcher.min}`, matcher.max === undefined ? '' : `<= ${matcher.max}`].filter(Boolean).join(' and ');
}

const patterns = (value: string | readonly string[]): readonly string[] => (typeof value === 'string' ? [value] : value);
const show = (value: string | readonly string[]) => patterns(value).map((pattern) => `"${pattern}"`).join(' or ');
const clip = (text: string | undefined) => (text === undefined ? 'undefined' : text.length > 80 ? `${text.slice(0, 77)}...` : text);

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const entry of Object.values(value)) deepFreeze(entry);
    Object.freeze(value);
  }
  return value;
}
