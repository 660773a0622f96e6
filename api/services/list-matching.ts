import type { ListOptions, Page } from '../../store/types';
import { matchesAll, type Predicate } from '../filter';

/** Store pages fetched per round while filtering in memory. */
const SCAN_PAGE_SIZE = 500;

/**
 * A listing with filter predicates the store cannot evaluate (pipelines and experiments by
 * name): walks every store page in the requested order and keeps the matches, returned as one
 * page with no `nextPageToken`. Fine for catalogues of pipelines and experiments, which are
 * small; runs, which are not, are filtered in the store instead. Without predicates it is a
 * plain store page.
 */
export async function listMatching<T>(
  fetchPage: (opts: ListOptions) => Promise<Page<T>>,
  fieldsOf: (item: T) => Record<string, string | undefined>,
  predicates: readonly Predicate[],
  opts: ListOptions,
): Promise<Page<T>> {
  if (predicates.length === 0) return fetchPage(opts);
  const items: T[] = [];
  let pageToken: string | undefined;
  do {
    const page = await fetchPage({ sortBy: opts.sortBy, pageSize: SCAN_PAGE_SIZE, pageToken });
    items.push(...page.items.filter((item) => matchesAll(fieldsOf(item), predicates)));
    pageToken = page.nextPageToken;
  } while (pageToken);
  return { items, totalSize: items.length };
}
