import { describe, expect, it } from 'vitest';
import { analyze, splitWords } from './text.js';

describe('splitWords', () => {
  it('splits camelCase, snake_case, kebab-case and dotted names into the same words', () => {
    for (const name of ['listRepoIssues', 'list_repo_issues', 'list-repo-issues', 'list.repo.issues', 'ListRepoIssues']) {
      expect(splitWords(name)).toEqual(['list', 'repo', 'issues']);
    }
  });

  it('splits HTTP paths with templated segments and acronyms', () => {
    expect(splitWords('GET /repos/{owner}/{repo}/issues')).toEqual(['get', 'repos', 'owner', 'repo', 'issues']);
    expect(splitWords('parseHTMLDocument')).toEqual(['parse', 'html', 'document']);
  });
});

describe('analyze', () => {
  it('drops function words and stems, so plural and singular forms meet', () => {
    expect(analyze('Get the issues of a repository')).toEqual(analyze('issue repositories'));
  });

  it('gives no terms for empty text or punctuation', () => {
    expect(analyze('')).toEqual([]);
    expect(analyze('?!  ...')).toEqual([]);
  });
});
