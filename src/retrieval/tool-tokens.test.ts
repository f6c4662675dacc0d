import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ActionSpace, defineAction, type AnyAction } from '../actions/index.js';
import { loadTokenCounter, ToolTokenAccount } from './tool-tokens.js';

function action(name: string, description: string): AnyAction {
  return defineAction({ name, description, input: z.object({ id: z.string() }), effect: 'read', run: () => null }) as AnyAction;
}

describe('ToolTokenAccount', () => {
  it('counts tool definitions, follows the space, and treats special-token text as text', async () => {
    const count = await loadTokenCounter();
    const space = new ActionSpace([action('a', 'Reads a thing'), action('b', 'Ends with <|endoftext|> as real descriptions sometimes do')]);
    const account = new ToolTokenAccount(space, count);
    const all = account.allTools();
    expect(all).toBe(account.tokensOf('a') + account.tokensOf('b'));
    expect(account.tokensOfAll(['a'])).toBeLessThan(all);
    space.add(action('c', 'Another tool with a longer description than the others'));
    expect(account.allTools()).toBeGreaterThan(all);
  });
});
