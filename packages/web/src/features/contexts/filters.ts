import type { ListContextsParams } from '@contextpilot/client';

export type StatusFilter = 'all' | 'active' | 'superseded';

export interface ContextFilters {
  search: string;
  type: string;
  tags: string;
  status: StatusFilter;
}

export const emptyFilters: ContextFilters = { search: '', type: '', tags: '', status: 'all' };

/** Query parameters for a filter set. "all" and "superseded" need include_superseded, or the server hides them. */
export function toListParams(filters: ContextFilters, limit: number): ListContextsParams {
  const params: ListContextsParams = { include_superseded: filters.status !== 'active', limit };
  if (filters.status !== 'all') {
    params.status_filter = filters.status;
  }
  if (filters.type) {
    params.type = filters.type;
  }
  const tags = filters.tags
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean)
    .join(',');
  if (tags) {
    params.tags = tags;
  }
  if (filters.search.trim()) {
    params.search = filters.search.trim();
  }
  return params;
}

export function isFiltered(filters: ContextFilters): boolean {
  return filters.search.trim() !== '' || filters.type !== '' || filters.tags.trim() !== '' || filters.status !== 'all';
}
