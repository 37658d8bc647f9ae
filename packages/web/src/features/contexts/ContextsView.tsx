import { useMemo, useRef, useState } from 'react';

import { errorMessage } from '../../api/errors';
import { useContextList, useContextLookup, useCreateContext } from '../../api/hooks';
import { useNotify } from '../../components/Notifications';
import { useDebounced } from '../../lib/use-debounced';
import { useActivityLog } from '../activity/activity-log';
import { ContextFiltersBar } from './ContextFiltersBar';
import { ContextForm } from './ContextForm';
import { ContextItem } from './ContextItem';
import { draftFromTemplate, emptyDraft, toCreate, type Draft } from './draft';
import { emptyFilters, isFiltered, toListParams, type ContextFilters } from './filters';
import { ImportExport } from './ImportExport';
import { StatsBar } from './StatsBar';
import { Templates } from './Templates';

export const FILTER_DEBOUNCE_MS = 300;
const PAGE = 100;

/** Full management of contexts: stats, add (with templates), filters, the list, import and export. */
export function ContextsView() {
  const [filters, setFilters] = useState<ContextFilters>(emptyFilters);
  const [limit, setLimit] = useState(PAGE);
  const debounced = useDebounced(filters, FILTER_DEBOUNCE_MS);
  const params = useMemo(() => toListParams(debounced, limit), [debounced, limit]);
  const list = useContextList(params);
  const listed = useMemo(() => new Map((list.data ?? []).map((u) => [u.id, u])), [list.data]);
  // A superseded unit names its replacement, which a filter (e.g. "Superseded") may have left out of the list.
  const missingReplacement = (list.data ?? []).some((u) => u.superseded_by && !listed.has(u.superseded_by));
  const everyUnit = useContextLookup(missingReplacement);
  const lookup = missingReplacement ? everyUnit : listed;
  const [draft, setDraft] = useState<Draft>(emptyDraft);
  const create = useCreateContext();
  const notify = useNotify();
  const { log } = useActivityLog();
  const contentRef = useRef<HTMLTextAreaElement>(null);

  const add = () => {
    create.mutate(toCreate(draft), {
      onSuccess: () => {
        notify('success', 'Context created successfully!');
        log('server', 'Created a context');
        setDraft(emptyDraft);
      },
      onError: (error) => notify('error', errorMessage(error, 'Failed to create context')),
    });
  };

  const units = list.data ?? [];
  return (
    <div className="contexts-view">
      <div className="contexts-view__header">
        <h2>Contexts</h2>
        <a href="#/chat" className="button button--small">
          Back to chat
        </a>
      </div>
      <StatsBar />
      <div className="contexts-layout">
        <div className="contexts-layout__side">
          <section className="card" aria-labelledby="add-context-title">
            <h3 id="add-context-title">Add context</h3>
            <ContextForm
              label="Add context"
              draft={draft}
              onChange={setDraft}
              onSubmit={add}
              submitLabel="Add context"
              busyLabel="Adding…"
              busy={create.isPending}
              showSource
              contentRef={contentRef}
            />
          </section>
          <Templates
            onPick={(template) => {
              setDraft(draftFromTemplate(template));
              notify('info', 'Template loaded! Modify as needed and click Add context.');
              contentRef.current?.focus();
            }}
          />
          <ImportExport />
        </div>
        <div className="contexts-layout__main">
          <ContextFiltersBar
            filters={filters}
            onChange={(next) => {
              setFilters(next);
              setLimit(PAGE);
            }}
          />
          <section aria-labelledby="context-list-title" className="card">
            <h3 id="context-list-title">
              Your contexts ({units.length}
              {units.length >= limit ? '+' : ''}){isFiltered(debounced) ? ' · filtered' : ''}
            </h3>
            {list.isError ? (
              <p role="alert" className="form-error">
                {errorMessage(list.error, 'Failed to load contexts')}{' '}
                <button type="button" className="link-button" onClick={() => void list.refetch()}>
                  Retry
                </button>
              </p>
            ) : null}
            {list.isPending ? <p className="muted">Loading…</p> : null}
            {list.isSuccess && units.length === 0 ? (
              <p className="muted">
                {isFiltered(debounced)
                  ? 'No contexts match these filters.'
                  : 'No contexts yet. Add your first context!'}
              </p>
            ) : null}
            <ul className="context-list" aria-busy={list.isFetching}>
              {units.map((unit) => (
                <ContextItem key={unit.id} unit={unit} lookup={lookup} />
              ))}
            </ul>
            {units.length >= limit ? (
              <button type="button" className="button button--small" onClick={() => setLimit((n) => n + PAGE)}>
                Show more
              </button>
            ) : null}
          </section>
        </div>
      </div>
    </div>
  );
}
