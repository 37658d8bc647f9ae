import { useId } from 'react';

import { CONTEXT_TYPE_NAMES, typeLabel } from '../../lib/text';
import { emptyFilters, isFiltered, type ContextFilters, type StatusFilter } from './filters';

/** Search, type, tags and status. The parent debounces before asking the server. */
export function ContextFiltersBar({
  filters,
  onChange,
}: {
  filters: ContextFilters;
  onChange: (filters: ContextFilters) => void;
}) {
  const ids = { search: useId(), type: useId(), tags: useId(), status: useId() };
  return (
    <section className="card filters" aria-labelledby={`${ids.search}-title`}>
      <h3 id={`${ids.search}-title`}>Search and filter</h3>
      <div className="filters__grid">
        <div className="field">
          <label htmlFor={ids.search}>Search contexts</label>
          <input
            id={ids.search}
            type="search"
            placeholder="Search contexts…"
            value={filters.search}
            onChange={(event) => onChange({ ...filters, search: event.target.value })}
          />
        </div>
        <div className="field">
          <label htmlFor={ids.type}>Filter by type</label>
          <select
            id={ids.type}
            value={filters.type}
            onChange={(event) => onChange({ ...filters, type: event.target.value })}
          >
            <option value="">All types</option>
            {CONTEXT_TYPE_NAMES.map((type) => (
              <option key={type} value={type}>
                {typeLabel(type)}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor={ids.tags}>Filter by tags</label>
          <input
            id={ids.tags}
            type="text"
            placeholder="Comma-separated tags"
            value={filters.tags}
            onChange={(event) => onChange({ ...filters, tags: event.target.value })}
          />
        </div>
        <div className="field">
          <label htmlFor={ids.status}>Filter by status</label>
          <select
            id={ids.status}
            value={filters.status}
            onChange={(event) => onChange({ ...filters, status: event.target.value as StatusFilter })}
          >
            <option value="all">All</option>
            <option value="active">Active</option>
            <option value="superseded">Superseded</option>
          </select>
        </div>
      </div>
      <button
        type="button"
        className="button button--small"
        onClick={() => onChange(emptyFilters)}
        disabled={!isFiltered(filters)}
      >
        Clear filters
      </button>
    </section>
  );
}
