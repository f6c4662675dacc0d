import type { ActionSpace } from '../../actions/index.js';
import { ArborError, EmptyModelAnswerError, InvalidModelJsonError, TruncatedResponseError, UsageError, type SerializedError } from '../../errors/index.js';
import type { JsonValue } from '../../internal/json.js';
import {
  MODEL_RESPONSE_NAMESPACE,
  ModelClient,
  type ModelCacheMode,
  type ModelCall,
  type ModelCallEvent,
  type ModelRequest,
  type RetrySettings,
} from '../../models/index.js';
import type { ModelV1, ModelV1Message, ModelV1Output, ModelV1Tool, ModelV1ToolCall } from '../../models/v1/index.js';
import type {
  CandidateAction,
  ChildView,
  PlanSample,
  Policy,
  PolicyCallOptions,
  PolicyModelCall,
  PolicyResult,
  PolicyState,
  PolicyUsage,
  Proposal,
  ValuedProposals,
} from '../../planning/policy.js';
import { canonicalJson, type Store } from '../../provenance/index.js';
import {
  plansAnswer,
  plansJsonSchema,
  proposalsAnswer,
  proposalsJsonSchema,
  readJsonAnswer,
  scoresAnswer,
  scoresJsonSchema,
  stateValue,
  valuedProposalsAnswer,
  valuedProposalsJsonSchema,
} from './answers.js';
import { ArgumentChecker } from './argument-checker.js';
import { loadPrompt, renderPrompt } from './prompts.js';
import { DEFAULT_RENDER_LIMITS, showCandidates, showChildren, showObservation, showReflections, showTask, showTrajectory, type RenderLimits } from './render-state.js';
import { safeParse } from '../../internal/safe-parse.js';

export type LlmPolicyPurpose = 'propose' | 'proposeAndValue' | 'evaluate' | 'plan' | 'reflect';

export interface LlmPolicyOptions {
  /** The model: an Arbor model (createModel, fromAiSdk) or a ModelClient configured by hand. */
  model: ModelV1 | ModelClient;
  /** The action space, so arguments are checked against each action's own zod schema. */
  actions?: ActionSpace;
  /** Where responses are cached and recorded (ignored when `model` is a ModelClient). */
  store?: Store;
  /** Default `read-write` with a store (ignored when `model` is a ModelClient). */
  cache?: ModelCacheMode;
  /** Time limit of one model attempt. Default 60 s (ignored when `model` is a ModelClient). */
  timeoutMs?: number;
  retry?: RetrySettings;
  /** Receive answers as SSE streams. Default false (ignored when `model` is a ModelClient). */
  stream?: boolean;
  onEvent?: (event: ModelCallEvent) => void;
  /**
   * How proposals are asked for: `structured` (default) asks for a JSON object of proposals with
   * probabilities; `tools` offers the candidates as tools and reads each tool call as a proposal (for
   * models better at tool calling than at JSON; probabilities then follow the order of the calls).
   * With `tools` the policy has no `proposeAndValue` (a tool call carries no value of the state), so A*
   * proposes and then scores the children: two calls per expansion instead of one.
   */
  proposeWith?: 'structured' | 'tools';
  /** Default 0: the search, not the sampler, explores. */
  temperature?: number;
  seed?: number;
  /** Output-token cap per call, by purpose. Default 1024 for each (`proposeAndValue` defaults to `propose`'s cap). */
  maxOutputTokens?: number | Partial<Record<LlmPolicyPurpose, number>>;
  /** How much of a state is shown. */
  limits?: Partial<RenderLimits>;
  name?: string;
}

/** Usage and calls of one policy method, accumulated across its model calls (the first and a repair). */
class Ledger {
  readonly calls: PolicyModelCall[] = [];
  readonly usage: Required<PolicyUsage> = { modelCalls: 0, inputTokens: 0, outputTokens: 0, cachedCalls: 0 };
  readonly repairs: SerializedError[] = [];
  readonly failures: SerializedError[] = [];

  add(call: ModelCall, purpose: string): void {
    this.calls.push({ id: call.id, namespace: MODEL_RESPONSE_NAMESPACE, purpose, model: call.model, cached: call.cached });
    this.usage.modelCalls += 1;
    this.usage.inputTokens += call.usage.inputTokens;
    this.usage.outputTokens += call.usage.outputTokens;
    if (call.cached) this.usage.cachedCalls += 1;
  }

  spent(): number {
    return this.usage.inputTokens + this.usage.outputTokens;
  }

  result<T>(value: T): PolicyResult<T> {
    return {
      value,
      usage: { ...this.usage },
      calls: [...this.calls],
      ...(this.repairs.length === 0 ? {} : { repairs: [...this.repairs] }),
      ...(this.failures.length === 0 ? {} : { failures: [...this.failures] }),
    };
  }

  /** Attaches what was spent to an error, so a planner can still account for it. */
  fail(error: unknown): never {
    const typed = ArborError.from(error, 'ARBOR_MODEL_FAILED');
    Object.assign(typed.data, { usage: { ...this.usage }, calls: [...this.calls], repairs: [...this.repairs] });
    throw typed;
  }
}

interface Answer {
  call: ModelCall;
  messages: ModelV1Message[];
  /** What the conversation is for (a repair keeps its original's purpose for its limits). */
  purpose: LlmPolicyPurpose;
}

/**
 * The LLM policy: the Policy port on a language model. It proposes k actions with arguments (structured
 * output, or tool calls), checked against each action's schema; scores all children of a node in one
 * call; samples whole plans; and reflects on failures. An invalid answer is sent back once with the
 * validation errors for a repair; what is still invalid after that is dropped and reported as a failure
 * (or thrown, typed, when nothing usable is left). Every call goes through a ModelClient: budgets, retries,
 * timeouts, cancellation, token counts and the response cache in the provenance store.
 */
export class LlmPolicy implements Policy {
  readonly name: string;
  readonly client: ModelClient;
  readonly #options: LlmPolicyOptions;
  readonly #limits: RenderLimits;
  /**
   * Proposes up to k actions and values the current state in one call (one structured answer), so A* makes
   * one model call per expansion. Absent when proposing with tools.
   */
  readonly proposeAndValue?: (state: PolicyState, candidates: readonly CandidateAction[], k: number, options?: PolicyCallOptions) => Promise<PolicyResult<ValuedProposals>>;

  constructor(options: LlmPolicyOptions) {
    if (options.model === undefined) throw new UsageError('llmPolicy needs a model', 'Pass model: createModel("ollama:qwen2.5") or fromAiSdk(openai("gpt-4o-mini")).');
    this.client =
      options.model instanceof ModelClient
        ? options.model
        : new ModelClient({
            model: options.model,
            ...(options.store === undefined ? {} : { store: options.store }),
            ...(options.cache === undefined ? {} : { cache: options.cache }),
            ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
            ...(options.retry === undefined ? {} : { retry: options.retry }),
            ...(options.stream === undefined ? {} : { stream: options.stream }),
            ...(options.onEvent === undefined ? {} : { onEvent: options.onEvent }),
          });
    this.name = options.name ?? `llm(${this.client.name})`;
    this.#options = options;
    this.#limits = { ...DEFAULT_RENDER_LIMITS, ...options.limits };
    if (options.proposeWith !== 'tools') {
      this.proposeAndValue = async (state, candidates, k, callOptions = {}) => {
        checkCount('k', k);
        return this.#proposeAndValue(state, candidates, k, callOptions);
      };
    }
  }

  async propose(state: PolicyState, candidates: readonly CandidateAction[], k: number, options: PolicyCallOptions = {}): Promise<PolicyResult<Proposal[]>> {
    checkCount('k', k);
    if (candidates.length === 0) return new Ledger().result([]);
    return this.#options.proposeWith === 'tools' ? this.#proposeWithTools(state, candidates, k, options) : this.#proposeStructured(state, candidates, k, options);
  }

  async evaluate(state: PolicyState, children: readonly ChildView[], options: PolicyCallOptions = {}): Promise<PolicyResult<number[]>> {
    const ledger = new Ledger();
    if (children.length === 0) return ledger.result([]);
    try {
      const prompt = renderPrompt(loadPrompt('evaluate'), {
        ...this.#stateValues(state),
        children: showChildren(children, this.#limits),
        count: children.length,
        last: children.length - 1,
      });
      const output: ModelV1Output = { type: 'json', name: 'scores', schema: scoresJsonSchema(children.length), strict: false };
      const read = (text: string) => {
        const parsed = readJsonAnswer(text, scoresAnswer, this.client.name);
        if (!parsed.ok) return { value: undefined, problems: [parsed.error] };
        const values = new Array<number | undefined>(children.length).fill(undefined);
        const problems: ArborError[] = [];
        for (const score of parsed.value.scores) {
          if (score.child >= children.length) problems.push(shapeError(this.client.name, text, ['scores'], `child ${score.child} does not exist (there are ${children.length}, numbered 0 to ${children.length - 1})`));
          else if (values[score.child] !== undefined) problems.push(shapeError(this.client.name, text, ['scores'], `child ${score.child} is scored twice`));
          else values[score.child] = score.value;
        }
        const missing = values.flatMap((value, index) => (value === undefined ? [index] : []));
        if (missing.length > 0) problems.push(shapeError(this.client.name, text, ['scores'], `no score for child ${missing.join(', ')}`));
        return { value: problems.length === 0 ? (values as number[]) : undefined, problems };
      };
      const first = await this.#ask('evaluate', this.#messages(prompt), output, ledger, options);
      let outcome = read(first.call.result.text);
      if (outcome.value === undefined) {
        const repaired = await this.#repair(first, outcome.problems, output, ledger, options);
        outcome = read(repaired.call.result.text);
        if (outcome.value === undefined) {
          ledger.failures.push(...outcome.problems.map((problem) => problem.toJSON()));
          throw outcome.problems[0];
        }
      }
      return ledger.result(outcome.value);
    } catch (error) {
      return ledger.fail(error);
    }
  }

  async samplePlans(state: PolicyState, candidates: readonly CandidateAction[], n: number, options: PolicyCallOptions = {}): Promise<PolicyResult<PlanSample[]>> {
    checkCount('n', n);
    const ledger = new Ledger();
    if (candidates.length === 0) return ledger.result([]);
    try {
      const checker = new ArgumentChecker(candidates, this.#options.actions);
      const prompt = renderPrompt(loadPrompt('plan'), { ...this.#stateValues(state), candidates: showCandidates(candidates), n });
      const output: ModelV1Output = { type: 'json', name: 'plans', schema: plansJsonSchema(checker.names, n), strict: false };
      const read = (text: string) => {
        const parsed = readJsonAnswer(text, plansAnswer, this.client.name);
        if (!parsed.ok) return { plans: [] as PlanSample[], problems: [parsed.error] };
        const plans: PlanSample[] = [];
        const problems: ArborError[] = [];
        for (const plan of parsed.value.plans.slice(0, n)) {
          const steps: PlanSample['steps'] = [];
          let broken: ArborError | undefined;
          for (const step of plan.steps) {
            const checked = checker.check(step.action, step.input);
            if (!checked.ok) {
              broken = checked.error;
              break;
            }
            steps.push({ action: checked.action, input: checked.input });
          }
          if (broken !== undefined) problems.push(broken);
          else plans.push({ steps, ...(plan.probability === undefined ? {} : { probability: plan.probability }) });
        }
        return { plans, problems };
      };
      const first = await this.#ask('plan', this.#messages(prompt), output, ledger, options);
      let outcome = read(first.call.result.text);
      if (outcome.problems.length > 0) {
        const repaired = await this.#repair(first, outcome.problems, output, ledger, options);
        const second = read(repaired.call.result.text);
        ledger.failures.push(...second.problems.map((problem) => problem.toJSON()));
        outcome = { plans: dedupe([...second.plans, ...outcome.plans], (plan) => canonicalJson(plan.steps)).slice(0, n), problems: second.problems };
        if (outcome.plans.length === 0) throw second.problems[0] ?? outcome.problems[0];
      }
      return ledger.result(outcome.plans);
    } catch (error) {
      return ledger.fail(error);
    }
  }

  async reflect(state: PolicyState, options: PolicyCallOptions = {}): Promise<PolicyResult<string>> {
    const ledger = new Ledger();
    try {
      const prompt = renderPrompt(loadPrompt('reflect'), this.#stateValues(state));
      const answer = await this.#ask('reflect', this.#messages(prompt), { type: 'text' }, ledger, options);
      const text = answer.call.result.text.trim();
      if (text === '') throw new EmptyModelAnswerError(this.client.name, 'reflect');
      return ledger.result(text);
    } catch (error) {
      return ledger.fail(error);
    }
  }

  async #proposeStructured(state: PolicyState, candidates: readonly CandidateAction[], k: number, options: PolicyCallOptions): Promise<PolicyResult<Proposal[]>> {
    const ledger = new Ledger();
    try {
      const checker = new ArgumentChecker(candidates, this.#options.actions);
      const prompt = renderPrompt(loadPrompt('propose'), { ...this.#stateValues(state), candidates: showCandidates(candidates), k });
      const output: ModelV1Output = { type: 'json', name: 'proposals', schema: proposalsJsonSchema(checker.names, k), strict: false };
      const read = (text: string) => {
        const parsed = readJsonAnswer(text, proposalsAnswer, this.client.name);
        if (!parsed.ok) return { proposals: [] as Proposal[], problems: [parsed.error] };
        return this.#checkProposals(
          parsed.value.proposals.map((item) => ({ action: item.action, input: item.input, probability: item.probability, rationale: item.rationale })),
          checker,
          k,
        );
      };
      const first = await this.#ask('propose', this.#messages(prompt), output, ledger, options);
      return ledger.result(await this.#withRepair(first, read, output, ledger, options, k));
    } catch (error) {
      return ledger.fail(error);
    }
  }

  async #proposeAndValue(state: PolicyState, candidates: readonly CandidateAction[], k: number, options: PolicyCallOptions): Promise<PolicyResult<ValuedProposals>> {
    const ledger = new Ledger();
    // Nothing can be done from a state where no action is shown: worthless, and no call is needed to say so.
    if (candidates.length === 0) return ledger.result({ proposals: [], value: 0 });
    try {
      const checker = new ArgumentChecker(candidates, this.#options.actions);
      const prompt = renderPrompt(loadPrompt('proposeAndValue'), { ...this.#stateValues(state), candidates: showCandidates(candidates), k });
      const output: ModelV1Output = { type: 'json', name: 'valued_proposals', schema: valuedProposalsJsonSchema(checker.names, k), strict: false };
      const read = (text: string): { proposals: Proposal[]; value: number | undefined; problems: ArborError[] } => {
        const parsed = readJsonAnswer(text, valuedProposalsAnswer, this.client.name);
        if (!parsed.ok) return { proposals: [], value: undefined, problems: [parsed.error] };
        // A bad action value is not worth a repair (the planner values that child itself): it is dropped,
        // and listed in `failures` so it is not lost silently.
        parsed.value.proposals.slice(0, k).forEach((item, index) => {
          if (item.value !== undefined && !(typeof item.value === 'number' && item.value >= 0 && item.value <= 1)) {
            ledger.failures.push(shapeError(this.client.name, text, ['proposals', index, 'value'], `"value" (of proposal ${index}) must be a number from 0 to 1; got ${JSON.stringify(item.value) ?? String(item.value)}; dropped`).toJSON());
          }
        });
        const checked = this.#checkProposals(
          parsed.value.proposals.map((item) => ({ action: item.action, input: item.input, probability: item.probability, rationale: item.rationale, value: item.value })),
          checker,
          k,
        );
        const value = safeParse(stateValue, parsed.value.value);
        if (value.success) return { ...checked, value: value.data };
        const got = parsed.value.value === undefined ? 'it is missing' : `got ${JSON.stringify(parsed.value.value) ?? String(parsed.value.value)}`;
        return { ...checked, value: undefined, problems: [...checked.problems, shapeError(this.client.name, text, ['value'], `"value" (of the current state) must be a number from 0 to 1; ${got}`)] };
      };
      const first = await this.#ask('proposeAndValue', this.#messages(prompt), output, ledger, options);
      const outcome = read(first.call.result.text);
      if (outcome.problems.length === 0 && outcome.value !== undefined) return ledger.result({ proposals: outcome.proposals, value: outcome.value });
      const repaired = await this.#repair(first, outcome.problems, output, ledger, options);
      const second = read(repaired.call.result.text);
      ledger.failures.push(...second.problems.map((problem) => problem.toJSON()));
      // As in propose: the repaired answer first, then valid proposals of the first answer it dropped.
      const proposals = normalise(dedupe([...second.proposals, ...outcome.proposals], proposalKey).slice(0, k));
      const value = second.value ?? outcome.value;
      if (value === undefined) throw second.problems.find((problem) => isValueProblem(problem)) ?? second.problems[0] ?? outcome.problems[0];
      if (proposals.length === 0) {
        // Nothing usable was proposed because of invalid proposals (not a valid empty list): as propose does.
        const unusable = [...second.problems, ...outcome.problems].find((problem) => !isValueProblem(problem));
        if (unusable !== undefined) throw unusable;
      }
      return ledger.result({ proposals, value });
    } catch (error) {
      return ledger.fail(error);
    }
  }

  async #proposeWithTools(state: PolicyState, candidates: readonly CandidateAction[], k: number, options: PolicyCallOptions): Promise<PolicyResult<Proposal[]>> {
    const ledger = new Ledger();
    try {
      const checker = new ArgumentChecker(candidates, this.#options.actions);
      const { tools, actionOf } = toolsFor(candidates);
      const prompt = renderPrompt(loadPrompt('proposeTools'), { ...this.#stateValues(state), k });
      const read = (_text: string, toolCalls: ModelV1ToolCall[]) => {
        if (toolCalls.length === 0) {
          return { proposals: [] as Proposal[], problems: [shapeError(this.client.name, _text, [], 'no tool was called; call one tool per proposal')] };
        }
        const problems: ArborError[] = [];
        const items: RawProposal[] = [];
        for (const call of toolCalls.slice(0, k)) {
          const action = actionOf.get(call.name) ?? call.name;
          const parsed = parseArguments(call.arguments);
          if (!parsed.ok) problems.push(new InvalidModelJsonError(this.client.name, call.arguments, { parseError: `arguments of ${call.name}: ${parsed.error}` }));
          else items.push({ action, input: parsed.value, probability: undefined, rationale: undefined });
        }
        const checked = this.#checkProposals(items, checker, k, true);
        return { proposals: checked.proposals, problems: [...problems, ...checked.problems] };
      };
      const request = { tools, toolChoice: 'required' as const };
      const first = await this.#ask('propose', this.#messages(prompt), { type: 'text' }, ledger, options, request);
      return ledger.result(await this.#withRepair(first, read, { type: 'text' }, ledger, options, k, request));
    } catch (error) {
      return ledger.fail(error);
    }
  }

  /** Reads the first answer; repairs once when anything in it is invalid; merges what is valid. */
  async #withRepair(
    first: Answer,
    read: (text: string, toolCalls: ModelV1ToolCall[]) => { proposals: Proposal[]; problems: ArborError[] },
    output: ModelV1Output,
    ledger: Ledger,
    options: PolicyCallOptions,
    k: number,
    request: Partial<ModelRequest> = {},
  ): Promise<Proposal[]> {
    const outcome = read(first.call.result.text, first.call.result.toolCalls);
    if (outcome.problems.length === 0) return outcome.proposals;
    const repaired = await this.#repair(first, outcome.problems, output, ledger, options, request);
    const second = read(repaired.call.result.text, repaired.call.result.toolCalls);
    ledger.failures.push(...second.problems.map((problem) => problem.toJSON()));
    // The repaired answer comes first (it was asked for with full knowledge); valid parts of the first
    // answer that it dropped are kept after it.
    const merged = normalise(dedupe([...second.proposals, ...outcome.proposals], proposalKey).slice(0, k));
    if (merged.length === 0) throw second.problems[0] ?? outcome.problems[0];
    return merged;
  }

  #checkProposals(items: RawProposal[], checker: ArgumentChecker, k: number, byRank = false): { proposals: Proposal[]; problems: ArborError[] } {
    const proposals: Proposal[] = [];
    const problems: ArborError[] = [];
    items.slice(0, k).forEach((item, index) => {
      const checked = checker.check(item.action, item.input);
      if (!checked.ok) return void problems.push(checked.error);
      proposals.push({
        action: checked.action,
        input: checked.input,
        // Tool calls carry no probability: the first call is taken as the most likely, as models order them.
        probability: item.probability ?? (byRank ? 1 / (index + 1) : 1 / Math.max(1, items.length)),
        // An action value outside [0, 1] (or missing) is left out, not repaired: the planner values the child itself.
        ...(typeof item.value === 'number' && item.value >= 0 && item.value <= 1 ? { value: item.value } : {}),
        ...(item.rationale === undefined ? {} : { rationale: item.rationale }),
      });
    });
    return { proposals: normalise(dedupe(proposals, proposalKey)), problems };
  }

  async #ask(
    purpose: LlmPolicyPurpose,
    messages: ModelV1Message[],
    output: ModelV1Output,
    ledger: Ledger,
    options: PolicyCallOptions,
    request: Partial<ModelRequest> = {},
    recordAs: string = purpose,
  ): Promise<Answer> {
    const call = await this.client.generate(
      {
        messages,
        output,
        ...request,
        maxOutputTokens: this.#maxOutputTokens(purpose),
        temperature: this.#options.temperature ?? 0,
        ...(this.#options.seed === undefined ? {} : { seed: this.#options.seed }),
      },
      {
        purpose: recordAs,
        ...(options.signal === undefined ? {} : { signal: options.signal }),
        ...(options.remainingTokens === undefined ? {} : { remainingTokens: options.remainingTokens - ledger.spent() }),
      },
    );
    ledger.add(call, recordAs);
    // A JSON answer cut at the token limit cannot be repaired by asking again with the same limit.
    if (call.result.finishReason === 'length') throw new TruncatedResponseError(this.client.name, 'length', { received: call.result.text });
    return { call, messages, purpose };
  }

  async #repair(first: Answer, problems: ArborError[], output: ModelV1Output, ledger: Ledger, options: PolicyCallOptions, request: Partial<ModelRequest> = {}): Promise<Answer> {
    ledger.repairs.push(...problems.map((problem) => problem.toJSON()));
    const listed = problems.map((problem) => `- ${problem.code}: ${problem.message}${problem.hint === undefined ? '' : ` (${problem.hint})`}`).join('\n');
    const previous = first.call.result;
    const answered: ModelV1Message[] =
      previous.toolCalls.length > 0
        ? [
            { role: 'assistant', content: previous.text, toolCalls: previous.toolCalls },
            ...previous.toolCalls.map((call): ModelV1Message => ({ role: 'tool', toolCallId: call.id, toolName: call.name, content: 'Not executed: see below.' })),
          ]
        : [{ role: 'assistant', content: previous.text }];
    const messages: ModelV1Message[] = [...first.messages, ...answered, { role: 'user', content: renderPrompt(loadPrompt('repair'), { problems: listed }) }];
    return this.#ask(first.purpose, messages, output, ledger, options, request, 'repair');
  }

  #messages(prompt: string): ModelV1Message[] {
    return [
      { role: 'system', content: loadPrompt('system') },
      { role: 'user', content: prompt },
    ];
  }

  #stateValues(state: PolicyState): Record<string, string> {
    return {
      task: showTask(state),
      observation: showObservation(state, this.#limits),
      trajectory: showTrajectory(state.trajectory, this.#limits),
      reflections: showReflections(state),
    };
  }

  #maxOutputTokens(purpose: LlmPolicyPurpose): number {
    const setting = this.#options.maxOutputTokens;
    if (typeof setting === 'number') return setting;
    return setting?.[purpose] ?? (purpose === 'proposeAndValue' ? setting?.propose : undefined) ?? 1024;
  }
}

/** The LLM policy (see LlmPolicy). */
export function llmPolicy(options: LlmPolicyOptions): LlmPolicy {
  return new LlmPolicy(options);
}

interface RawProposal {
  action: string;
  input: unknown;
  probability: number | undefined;
  rationale: string | undefined;
  /** The action's value, when the answer gave one (proposeAndValue). */
  value?: unknown;
}

function proposalKey(proposal: { action: string; input: JsonValue }): string {
  return canonicalJson({ action: proposal.action, input: proposal.input });
}

function dedupe<T>(items: T[], key: (item: T) => string): T[] {
  const seen = new Set<string>();
  return items.filter((item) => {
    const id = key(item);
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}

/** Scales probabilities down when they add up to more than 1. */
function normalise(proposals: Proposal[]): Proposal[] {
  const total = proposals.reduce((sum, proposal) => sum + proposal.probability, 0);
  return total <= 1 ? proposals : proposals.map((proposal) => ({ ...proposal, probability: proposal.probability / total }));
}

/** Tool names providers accept (OpenAI: ^[a-zA-Z0-9_-]{1,64}$), mapped back to the action names. */
function toolsFor(candidates: readonly CandidateAction[]): { tools: ModelV1Tool[]; actionOf: Map<string, string> } {
  const actionOf = new Map<string, string>();
  const tools = candidates.map((candidate) => {
    const base = candidate.name.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 60) || 'action';
    let name = base;
    for (let suffix = 2; actionOf.has(name); suffix++) name = `${base}_${suffix}`;
    actionOf.set(name, candidate.name);
    return { name, description: `${candidate.description} (${candidate.effect}, cost ${candidate.cost})`, inputSchema: candidate.inputSchema };
  });
  return { tools, actionOf };
}

function parseArguments(text: string): { ok: true; value: unknown } | { ok: false; error: string } {
  if (text.trim() === '') return { ok: true, value: {} };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message : String(error) };
  }
}

function shapeError(model: string, text: string, path: (string | number)[], message: string): ArborError {
  return new InvalidModelJsonError(model, text, { issues: [{ path, message }] });
}

function isValueProblem(problem: ArborError): boolean {
  const issues = problem.data.issues;
  return Array.isArray(issues) && issues.some((issue) => Array.isArray((issue as { path?: unknown }).path) && (issue as { path: unknown[] }).path[0] === 'value');
}

function checkCount(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 1) throw new UsageError(`${name} must be a positive integer, got ${value}`);
}
