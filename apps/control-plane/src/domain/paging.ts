import { ApiError } from './api-error.ts';

/** Paging as the original API has it: PageNumber 1–500, PageSize 1–100 (default 20). */
export interface PageRequest {
  readonly pageNumber: number;
  readonly pageSize: number;
}

export interface PageOf<T> {
  readonly totalCount: number;
  readonly pageNumber: number;
  readonly pageSize: number;
  readonly items: readonly T[];
}

export const defaultPageSize = 20;

/** Fills defaults and checks bounds; throws `InvalidParameter.Paging`. */
export function pageRequest(pageNumber: number | undefined, pageSize: number | undefined): PageRequest {
  const page = { pageNumber: pageNumber ?? 1, pageSize: pageSize ?? defaultPageSize };
  const ok =
    Number.isInteger(page.pageNumber) &&
    page.pageNumber >= 1 &&
    page.pageNumber <= 500 &&
    Number.isInteger(page.pageSize) &&
    page.pageSize >= 1 &&
    page.pageSize <= 100;
  if (!ok) throw new ApiError('InvalidParameter.Paging', { details: page });
  return page;
}

/** The store window for a page, oldest first. */
export function window(page: PageRequest): { offset: number; limit: number } {
  return { offset: (page.pageNumber - 1) * page.pageSize, limit: page.pageSize };
}
