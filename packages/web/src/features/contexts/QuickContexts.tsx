import { useContextList, useStats } from '../../api/hooks';
import { errorMessage } from '../../api/errors';
import { TagList } from '../../components/TagList';
import { percent, truncate, typeLabel } from '../../lib/text';
import { formatDateTime } from '../../lib/time';

const QUICK_LIMIT = 50;
const QUICK_PARAMS = { limit: QUICK_LIMIT };

/** The chat's side view of the active contexts: counts by type and a short, expandable list. */
export function QuickContexts() {
  const stats = useStats();
  const list = useContextList(QUICK_PARAMS);
  const byType = stats.data?.contexts_by_type ?? {};
  return (
    <section className="quick-contexts" aria-labelledby="quick-contexts-title">
      <h2 id="quick-contexts-title" className="panel-title">
        Your contexts
      </h2>
      <dl className="mini-stats">
        {(['preference', 'goal', 'decision', 'fact'] as const).map((type) => (
          <div key={type}>
            <dt>{typeLabel(type)}s</dt>
            <dd>{byType[type] ?? 0}</dd>
          </div>
        ))}
      </dl>
      {list.isError ? (
        <p role="alert" className="form-error">
          {errorMessage(list.error, 'Failed to load contexts')}
        </p>
      ) : null}
      {list.isSuccess && list.data.length === 0 ? <p className="muted">No contexts yet.</p> : null}
      <ul className="quick-list">
        {(list.data ?? []).map((unit) => (
          <li key={unit.id}>
            <details>
              <summary>
                <span className={`type-badge type-badge--${unit.type}`}>{typeLabel(unit.type)}</span>{' '}
                {truncate(unit.content, 80)}
              </summary>
              <p className="plain-text">{unit.content}</p>
              <p className="muted small">
                {percent(unit.confidence)} confidence · {unit.source} · added {formatDateTime(unit.created_at)}
                {unit.last_used ? ` · last used ${formatDateTime(unit.last_used)}` : ''}
              </p>
              <TagList tags={unit.tags} />
            </details>
          </li>
        ))}
      </ul>
      {stats.data && stats.data.active_contexts > QUICK_LIMIT ? (
        <p className="muted small">
          Showing {QUICK_LIMIT} of {stats.data.active_contexts}.
        </p>
      ) : null}
      <a className="button button--block" href="#/contexts">
        Manage all contexts
      </a>
    </section>
  );
}
