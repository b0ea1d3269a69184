import type { Json, Query } from './api-client.ts';
import type { CommandContext, OptionSpec } from './command.ts';
import type { Listing } from './output.ts';

/** The API's paging bounds (the original's PageNumber 1–500, PageSize 1–100). */
const maxPageNumber = 500;
const maxPageSize = 100;

/** Options of every list command. */
export const pagingOptions: Readonly<Record<string, OptionSpec>> = {
  page: { type: 'string', value: 'N', description: `Fetch only page N (1–${maxPageNumber}) instead of every page` },
  'page-size': {
    type: 'string',
    value: 'N',
    description: `Items per page (1–${maxPageSize}; default 20 with --page, else ${maxPageSize})`,
  },
};

/**
 * A list endpoint's items: one page when `--page` is given, otherwise every page in order
 * (at most 500 requests, the API's page bound), with progress on a terminal.
 */
export async function fetchListing(ctx: CommandContext, path: string, what: string, query: Query = {}): Promise<Listing> {
  const page = ctx.integer('page', 1, maxPageNumber);
  const pageSize = ctx.integer('page-size', 1, maxPageSize);
  if (page !== undefined) {
    const answer = await ctx.api.get(path, { ...query, pageNumber: page, ...(pageSize !== undefined ? { pageSize } : {}) });
    const listing = { totalCount: answer['totalCount'] as number, items: answer['items'] as Json[] };
    const shown = (page - 1) * (answer['pageSize'] as number) + listing.items.length;
    if (listing.totalCount > shown)
      ctx.out.note(`page ${page}: ${listing.items.length} of ${listing.totalCount} ${what}; --page ${page + 1} for more`);
    return listing;
  }
  const size = pageSize ?? maxPageSize;
  const items: Json[] = [];
  let totalCount = 0;
  try {
    for (let pageNumber = 1; pageNumber <= maxPageNumber; pageNumber++) {
      const answer = await ctx.api.get(path, { ...query, pageNumber, pageSize: size });
      const pageItems = answer['items'] as Json[];
      items.push(...pageItems);
      totalCount = answer['totalCount'] as number;
      ctx.progress.update(`fetching ${what}: ${items.length} of ${totalCount}`);
      if (pageItems.length < size || items.length >= totalCount) break;
    }
  } finally {
    ctx.progress.done();
  }
  if (items.length < totalCount) ctx.out.note(`showing the first ${items.length} of ${totalCount} ${what} (the API pages no further)`);
  return { totalCount, items };
}
