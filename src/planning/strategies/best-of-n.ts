import type { Planner } from '../planner.js';
import type { PlanSample } from '../policy.js';
import { actionKey, type SearchContext } from '../search-context.js';
import type { SearchNode } from '../tree.js';
import { isOpenCommit } from './shared.js';

export interface BestOfNOptions {
  /** Plans sampled in one call. Default 8. */
  samples?: number;
  /** Weight of the vote share against the verifier's score when ranking plans. Default 0.5. */
  voteWeight?: number;
}

interface Candidate {
  plan: PlanSample;
  key: string;
  votes: number;
  /** Where executing the plan's reversible prefix ended. */
  end: SearchNode;
  /** Index of the first step not executed (a commit point, or past the end). */
  next: number;
  ok: boolean;
}

/**
 * Best-of-N (RoboMonkey): sample N plans in one call, group identical plans and count their votes, execute
 * each distinct plan's reversible prefix (up to its first irreversible step), and let a verifier pick: plans
 * that fail are out, a plan that reaches the goal wins, the rest are ranked by the policy's score of where
 * they end (all scored in one call) mixed with their vote share. The chosen plan's remaining steps are then
 * taken in order, irreversible ones as commits.
 */
export function bestOfN(options: BestOfNOptions = {}): Planner {
  const samples = options.samples ?? 8;
  const voteWeight = options.voteWeight ?? 0.5;
  return {
    name: 'best-of-n',
    options: { samples, voteWeight },
    async search(context: SearchContext): Promise<SearchNode | undefined> {
      const plans = await context.samplePlans(context.root, samples);
      const groups = new Map<string, { plan: PlanSample; votes: number }>();
      for (const plan of plans) {
        const key = plan.steps.map((step) => actionKey(step.action, step.input)).join('\n');
        const group = groups.get(key);
        if (group === undefined) groups.set(key, { plan, votes: 1 });
        else group.votes++;
      }
      const ranked = [...groups.entries()].sort((a, b) => b[1].votes - a[1].votes);
      const candidates: Candidate[] = [];
      for (const [key, group] of ranked) {
        const walked = await walk(context, context.root, group.plan, 0);
        walked.end.data.votes = group.votes;
        if (walked.end.goal) return walked.end;
        candidates.push({ plan: group.plan, key, votes: group.votes, end: walked.end, next: walked.next, ok: walked.ok });
      }
      const viable = candidates.filter((candidate) => candidate.ok && candidate.end !== context.root);
      if (viable.length === 0) return undefined;
      // The verifier: one call scores where every viable plan got to.
      const ends = viable.map((candidate) => candidate.end);
      const scores = await verify(context, ends);
      const score = (index: number): number => (1 - voteWeight) * (scores[index] ?? 0) + voteWeight * ((viable[index]?.votes ?? 0) / Math.max(1, plans.length));
      const order = viable.map((_, index) => index).sort((a, b) => score(b) - score(a) || a - b);
      for (const index of order) {
        const chosen = viable[index] as Candidate;
        // A plan that failed after a commit leaves the others behind it: what was committed stands, and
        // a plan whose prefix ended on another branch can no longer be taken.
        if (!context.tree.isAncestor(context.root, chosen.end)) continue;
        chosen.end.data.verifierScore = score(index);
        const finished = await finish(context, chosen);
        if (finished !== undefined) return finished;
      }
      return undefined;
    },
  };
}

/** Executes a plan from a node until its first irreversible step, a failure, the goal or its end. */
async function walk(context: SearchContext, from: SearchNode, plan: PlanSample, start: number): Promise<{ end: SearchNode; next: number; ok: boolean }> {
  let node = from;
  for (let index = start; index < plan.steps.length; index++) {
    if (node.goal || node.depth >= context.maxDepth) return { end: node, next: index, ok: true };
    const step = plan.steps[index] as PlanSample['steps'][number];
    const key = actionKey(step.action, step.input);
    let child = node.children.find((existing) => actionKey(existing.action ?? '', existing.input) === key);
    if (child === undefined) [child] = await context.expand(node, [{ action: step.action, input: step.input, probability: 1 }]);
    if (child === undefined || child.status === 'pruned') return { end: node, next: index, ok: false };
    if (isOpenCommit(child)) return { end: child, next: index, ok: true };
    if (child.stepStatus !== 'ok') return { end: child, next: index + 1, ok: false };
    node = child;
  }
  return { end: node, next: plan.steps.length, ok: true };
}

async function verify(context: SearchContext, ends: SearchNode[]): Promise<number[]> {
  // Plans ending on different parents are scored together as children of the root (their common ancestor).
  const values = await context.evaluate(context.root, ends);
  return values;
}

/** Takes the chosen plan to its end: commits its irreversible steps and executes the rest. */
async function finish(context: SearchContext, candidate: Candidate): Promise<SearchNode | undefined> {
  let node = candidate.end;
  let next = candidate.next;
  for (;;) {
    if (node.goal) return node;
    if (isOpenCommit(node)) {
      await context.commit(node);
      if (node.stepStatus !== 'ok') return undefined;
      next++;
      if (node.goal) return node;
    }
    if (next >= candidate.plan.steps.length) return undefined;
    const walked = await walk(context, node, candidate.plan, next);
    if (!walked.ok) return undefined;
    if (walked.end === node) return undefined;
    node = walked.end;
    next = walked.next;
  }
}
