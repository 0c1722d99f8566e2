// Every page of one LIST, with the limits that make it end: the API server (or a broken aggregated
// API, or a proxy) decides the `continue` token, and a token that repeats, or new tokens forever, would
// otherwise loop without end while the objects pile up in memory. Each limit ends in a gap.
import type { ApiFailure } from './api-errors.js';

export interface Page {
  /** Checked to be an array before use: a proxy or a broken aggregated API can answer anything. */
  readonly items: unknown;
  readonly continueToken?: string;
}

export type FetchPage = (continueToken: string | undefined) => Promise<Page>;

export interface PagingLimits {
  /** performance.now() after which no further page is asked for (the whole read's deadline). */
  readonly deadline: number;
  /** Objects per list: more than any cluster holds (Kubernetes supports 150,000 pods). */
  readonly maxObjects?: number;
  /** Pages per list: a server handing out new tokens with empty pages. */
  readonly maxPages?: number;
  /** Fresh starts of a list whose continue token expired (410) before it becomes a gap. */
  readonly expiredRestarts?: number;
}

export const MAX_OBJECTS = 1_000_000;
export const MAX_PAGES = 100_000;
export const EXPIRED_RESTARTS = 2;

type Result<T> = { readonly value: T } | { readonly failure: ApiFailure };

/**
 * Every page through `fetchPage` (each request retried by `withRetry`), each item converted as its
 * page arrives (a page's full pods do not outlive it; `convert` may drop one).
 */
export async function readPages<R>(
  fetchPage: FetchPage,
  convert: (item: unknown) => R | undefined,
  withRetry: (call: () => Promise<Page>) => Promise<Result<Page>>,
  limits: PagingLimits,
): Promise<{ items: R[] } | { failure: ApiFailure }> {
  const restarts = limits.expiredRestarts ?? EXPIRED_RESTARTS;
  for (let attempt = 0; ; attempt++) {
    const result = await onePass(fetchPage, convert, withRetry, limits);
    if (!('expired' in result)) return result;
    // Like client-go's pager: the snapshot the continue token pointed into is gone (etcd compaction
    // while the pages were read), so the list starts over rather than be left out.
    if (attempt >= restarts)
      return {
        failure: {
          kind: 'other',
          message: `the list's continue token expired (${result.expired.message}) on each of ${restarts + 1} attempts: reading it takes longer than the API server keeps a list's snapshot (a larger --page-size needs fewer pages)`,
        },
      };
  }
}

async function onePass<R>(
  fetchPage: FetchPage,
  convert: (item: unknown) => R | undefined,
  withRetry: (call: () => Promise<Page>) => Promise<Result<Page>>,
  limits: PagingLimits,
): Promise<{ items: R[] } | { failure: ApiFailure } | { expired: ApiFailure }> {
  const maxObjects = limits.maxObjects ?? MAX_OBJECTS;
  const maxPages = limits.maxPages ?? MAX_PAGES;
  const items: R[] = [];
  const tokens = new Set<string>();
  let listed = 0;
  let token: string | undefined;
  for (let pages = 0; ; pages++) {
    if (pages > 0 && performance.now() > limits.deadline)
      return stopped(`the read's time ran out after ${pages} pages (${listed} objects) of this list`);
    const result = await withRetry(() => fetchPage(token));
    if ('failure' in result) {
      return result.failure.kind === 'expired' && token !== undefined ? { expired: result.failure } : result;
    }
    const pageItems = result.value.items;
    if (!Array.isArray(pageItems)) return { failure: notAList(pageItems) };
    listed += pageItems.length;
    // One by one: a spread of a very large page would overflow the call stack.
    for (const item of pageItems) {
      const raw = convert(item);
      if (raw !== undefined) items.push(raw);
    }
    token = result.value.continueToken || undefined;
    if (!token) return { items };
    if (tokens.has(token))
      return stopped(`the API server answered page ${pages + 1} with a continue token it had already given`);
    tokens.add(token);
    if (listed > maxObjects || pages + 1 >= maxPages)
      return stopped(
        `still more to come after ${pages + 1} pages and ${listed} objects, more than any cluster holds`,
      );
  }
}

function stopped(why: string): { failure: ApiFailure } {
  return { failure: { kind: 'other', message: `${why}: the list was stopped unfinished` } };
}

function notAList(items: unknown): ApiFailure {
  const what =
    items === undefined ? 'no "items"' : items === null ? '"items": null' : 'an "items" that is no array';
  return { kind: 'malformed', message: `answered with JSON with ${what}` };
}
