import { encode, getJson, type SearchPage } from './api.js';

/** Nodes asked for per request; larger searches load the rest on demand. */
export const SEARCH_PAGE = 20_000;

const prefetched = new Map<string, Promise<SearchPage>>();

/** Starts loading a run's search tree while the run itself loads (they are independent requests). */
export function prefetchSearch(runId: string): void {
  if (prefetched.has(runId)) return;
  const request = getJson<SearchPage>(`/runs/${encode(runId)}/search`, { limit: SEARCH_PAGE });
  request.catch(() => undefined); // reported when taken
  prefetched.set(runId, request);
}

/** The first page of a run's search tree: the prefetched one if there is one, else a new request. */
export function firstSearchPage(runId: string, signal: AbortSignal): Promise<SearchPage> {
  const request = prefetched.get(runId);
  prefetched.delete(runId);
  return request ?? getJson<SearchPage>(`/runs/${encode(runId)}/search`, { limit: SEARCH_PAGE }, signal);
}
