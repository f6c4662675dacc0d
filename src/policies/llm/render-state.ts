import type { JsonValue } from '../../internal/json.js';
import type { CandidateAction, ChildView, PolicyState, TrajectoryStep } from '../../planning/policy.js';
import { canonicalJson } from '../../provenance/index.js';

/** Limits that keep one prompt from growing without bound on large observations and outputs. */
export interface RenderLimits {
  /** Characters of the observation shown. Default 4000. */
  observationChars: number;
  /** Characters of one step's output or error shown. Default 600. */
  stepChars: number;
  /** The most recent steps shown (older ones are summarised by count). Default 30. */
  steps: number;
}

export const DEFAULT_RENDER_LIMITS: RenderLimits = { observationChars: 4000, stepChars: 600, steps: 30 };

/**
 * JSON shown to the model: canonical (sorted keys) so the same state always gives the same prompt, and
 * therefore the same response-cache key.
 */
export function showJson(value: JsonValue | undefined, maxChars: number): string {
  if (value === undefined) return '(none)';
  let text: string;
  try {
    text = canonicalJson(value);
  } catch {
    text = String(value);
  }
  return text.length <= maxChars ? text : `${text.slice(0, maxChars)}… (${text.length - maxChars} more characters)`;
}

export function showTask(state: PolicyState): string {
  return state.task.instruction.trim() === '' ? '(no instruction)' : state.task.instruction.trim();
}

export function showObservation(state: PolicyState, limits: RenderLimits): string {
  return showJson(state.observation, limits.observationChars);
}

export function showTrajectory(steps: readonly TrajectoryStep[], limits: RenderLimits): string {
  if (steps.length === 0) return '(none yet)';
  const skipped = Math.max(0, steps.length - limits.steps);
  const lines = skipped > 0 ? [`(${skipped} earlier steps not shown)`] : [];
  steps.slice(skipped).forEach((step, index) => {
    lines.push(`${skipped + index + 1}. ${step.action} ${showJson(step.input, limits.stepChars)} -> ${showOutcome(step, limits)}`);
  });
  return lines.join('\n');
}

function showOutcome(step: { status?: string; output?: JsonValue; error?: { code: string; message: string } }, limits: RenderLimits): string {
  if (step.status === undefined) return 'not executed';
  if (step.error !== undefined) return `${step.status}: ${step.error.code}: ${step.error.message.slice(0, limits.stepChars)}`;
  if (step.output !== undefined) return `${step.status}: ${showJson(step.output, limits.stepChars)}`;
  return step.status;
}

export function showReflections(state: PolicyState): string {
  const reflections = state.reflections ?? [];
  return reflections.length === 0 ? '(none)' : reflections.map((text) => `- ${text.trim()}`).join('\n');
}

export function showCandidates(candidates: readonly CandidateAction[]): string {
  return candidates
    .map((candidate) => `- ${candidate.name} (${candidate.effect}, cost ${candidate.cost}): ${candidate.description.trim()}\n  arguments schema: ${showJson(candidate.inputSchema as JsonValue, 4000)}`)
    .join('\n');
}

export function showChildren(children: readonly ChildView[], limits: RenderLimits): string {
  return children
    .map((child, index) => {
      const lines = [`${index}. ${child.action} ${showJson(child.input, limits.stepChars)}${child.effect === undefined ? '' : ` (${child.effect})`}`];
      lines.push(`   result: ${showOutcome(child, limits)}`);
      if (child.observation !== undefined) lines.push(`   state after it: ${showJson(child.observation, limits.stepChars)}`);
      return lines.join('\n');
    })
    .join('\n');
}
