import type { ConversationSummary } from '@contextpilot/contract';
import { useId, useMemo, useState } from 'react';

import { errorMessage } from '../../api/errors';
import { useConversations, useDeleteConversation } from '../../api/hooks';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { TrashIcon } from '../../components/Icons';
import { useNotify } from '../../components/Notifications';
import { truncate } from '../../lib/text';
import { formatDateTime } from '../../lib/time';
import { useDebounced } from '../../lib/use-debounced';
import { useActivityLog } from '../activity/activity-log';
import { lastActivity, orderConversations } from './ordering';

const PAGE = 50;

interface Props {
  selectedId: string | null;
  onOpen: (id: string) => void;
  onDeleted: (id: string) => void;
  /** Local "last activity" times of conversations just sent to. */
  bumps: ReadonlyMap<string, number>;
}

/** Conversations by last activity, searchable on the server, each with open and delete. */
export function ConversationList({ selectedId, onOpen, onDeleted, bumps }: Props) {
  const [search, setSearch] = useState('');
  const [limit, setLimit] = useState(PAGE);
  const debounced = useDebounced(search.trim(), 300);
  const query = useConversations(debounced, limit);
  const remove = useDeleteConversation();
  const notify = useNotify();
  const { log } = useActivityLog();
  const [confirming, setConfirming] = useState<ConversationSummary | null>(null);
  const searchId = useId();
  const ordered = useMemo(() => orderConversations(query.data?.conversations ?? [], bumps), [query.data, bumps]);

  return (
    <section className="conversations" aria-labelledby={`${searchId}-title`}>
      <h2 id={`${searchId}-title`} className="panel-title">
        Conversations
      </h2>
      <div className="field">
        <label htmlFor={searchId} className="visually-hidden">
          Search conversations
        </label>
        <input
          id={searchId}
          type="search"
          placeholder="Search conversations…"
          value={search}
          onChange={(event) => setSearch(event.target.value)}
        />
      </div>
      {query.isError ? (
        <p role="alert" className="form-error">
          {errorMessage(query.error, 'Failed to load conversations')}{' '}
          <button type="button" className="link-button" onClick={() => void query.refetch()}>
            Retry
          </button>
        </p>
      ) : null}
      {query.isPending ? <p className="muted">Loading…</p> : null}
      {query.isSuccess && ordered.length === 0 ? (
        <p className="muted">{debounced ? `No conversations match “${debounced}”.` : 'No conversations yet.'}</p>
      ) : null}
      <ul className="conversation-list" aria-label="Conversations" aria-busy={query.isFetching}>
        {ordered.map((c) => {
          const active = c.id === selectedId;
          const when = new Date(lastActivity(c, bumps)).toISOString();
          return (
            <li key={c.id} className={`conversation${active ? ' conversation--active' : ''}`}>
              <button
                type="button"
                className="conversation__open"
                aria-current={active ? 'true' : undefined}
                onClick={() => {
                  log('user', 'Opened a conversation');
                  onOpen(c.id);
                }}
              >
                <span className="conversation__title">{truncate(c.task || 'Untitled', 60)}</span>
                <span className="conversation__meta">
                  {c.model} · {c.message_count} msgs · <time dateTime={when}>{formatDateTime(when)}</time>
                </span>
              </button>
              <button
                type="button"
                className="icon-button conversation__delete"
                aria-label={`Delete conversation: ${truncate(c.task || 'Untitled', 40)}`}
                title="Delete conversation"
                onClick={() => setConfirming(c)}
              >
                <TrashIcon size={16} />
              </button>
            </li>
          );
        })}
      </ul>
      {query.data && query.data.count >= limit ? (
        <button type="button" className="button button--small" onClick={() => setLimit((n) => n + PAGE)}>
          Show more
        </button>
      ) : null}
      {confirming ? (
        <ConfirmDialog
          title="Delete conversation?"
          message={`“${truncate(confirming.task || 'Untitled', 80)}” and all its messages will be deleted. This cannot be undone.`}
          confirmLabel="Delete"
          busy={remove.isPending}
          onCancel={() => setConfirming(null)}
          onConfirm={() => {
            const target = confirming;
            void remove
              .mutateAsync(target.id)
              .then(() => {
                log('server', 'Deleted a conversation');
                notify('success', 'Conversation deleted');
                onDeleted(target.id);
              })
              .catch((error: unknown) => notify('error', errorMessage(error, 'Failed to delete conversation')))
              .finally(() => setConfirming(null));
          }}
        />
      ) : null}
    </section>
  );
}
