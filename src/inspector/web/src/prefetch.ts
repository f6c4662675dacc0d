import { encode, getJson, type SearchPage, type SearchPageWire } from './api.js';
import { decodeSearchPage } from '../../search-columns.js';

/** Nodes asked for per request; larger searches load the rest on demand. */
export const SEARCH_PAGE = 20_000;

/** A page of a run's search tree: by offset (creation order), or the children of one node. */
export async function searchPage(runId: string, query: { offset?: number; parent?: number }, signal?: AbortSignal): Promise<SearchPage> {
  return decodeSearchPage(await getJson<SearchPageWire>(`/runs/${encode(runId)}/search`, { limit: SEARCH_PAGE, ...query }, signal));
}

const prefetched = new Map<string, Promise<SearchPage>>();

/** Starts loading a run's search tree while the run itself loads (they are independent requests). */
export function prefetchSearch(runId: string): void {
  if (prefetched.has(runId)) return;
  const request = searchPage(runId, {});
  request.catch(() => undefined); // reported when taken
  prefetched.set(runId, request);
}

/** The first page of a run's search tree: the prefetched one if there is one, else a new request. */
export function firstSearchPage(runId: string, signal: AbortSignal): Promise<SearchPage> {
  const request = prefetched.get(runId);
  prefetched.delete(runId);
  return request ?? searchPage(runId, {}, signal);
}
