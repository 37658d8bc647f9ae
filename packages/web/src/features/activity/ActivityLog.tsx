import { formatMessageTime } from '../../lib/time';
import { useActivityLog } from './activity-log';

const CHANNEL_LABELS = { user: 'You ↔ UI', server: 'UI ↔ Server' } as const;

export function ActivityLog() {
  const { entries, clear } = useActivityLog();
  return (
    <details className="activity">
      <summary>Activity log ({entries.length})</summary>
      <div className="activity__tools">
        <button type="button" className="button button--small" onClick={clear} disabled={entries.length === 0}>
          Clear log
        </button>
      </div>
      <ol role="log" aria-label="Activity log" className="activity__list">
        {entries.length === 0 ? <li className="muted">Nothing recorded yet.</li> : null}
        {entries.map((entry) => (
          <li key={entry.id}>
            <span>{entry.message}</span>
            <span className="muted small">
              {CHANNEL_LABELS[entry.channel]} · <time dateTime={entry.at}>{formatMessageTime(entry.at)}</time>
            </span>
          </li>
        ))}
      </ol>
    </details>
  );
}
