import { ArborError } from './arbor-error.js';

/**
 * Why a search refused to take a commit point:
 * - `not-irreversible`: the node's action is not irreversible (reversible children are executed by expansion);
 * - `already-taken`: the commit point was executed already (committed, blocked or failed);
 * - `pruned`: the strategy or an earlier commit dropped the node;
 * - `not-open`: the node is in any other state than an open commit point;
 * - `behind-commit`: the node hangs off a branch left behind by a commit already made;
 * - `parent-not-reached`: the state the action would be taken from was never reached (its step was never executed, or was cancelled).
 */
export type CommitRefusal = 'not-irreversible' | 'already-taken' | 'pruned' | 'not-open' | 'behind-commit' | 'parent-not-reached';

/**
 * A strategy asked to take an irreversible action that is not an open commit point of the search. Nothing
 * was executed: irreversible actions are taken only from open commit points under the search's current root.
 */
export class CommitRefusedError extends ArborError {
  readonly node: number;
  readonly reason: CommitRefusal;

  constructor(node: number, action: string | null, reason: CommitRefusal, detail: string) {
    super('ARBOR_COMMIT_REFUSED', `Search node ${node} (${action ?? 'root'}) cannot be committed: ${detail}`, {
      hint: 'A planning strategy may commit only to an open commit point reachable from the search\'s current root; this is a bug in the strategy, and nothing irreversible was executed.',
      data: { node, action, reason },
    });
    this.name = 'CommitRefusedError';
    this.node = node;
    this.reason = reason;
  }
}
