import { useStats } from '../../api/hooks';
import { errorMessage } from '../../api/errors';

/** Counts from GET /stats; refreshed after every change to contexts. */
export function StatsBar() {
  const stats = useStats();
  const data = stats.data;
  const byType = data?.contexts_by_type ?? {};
  const items: [string, number | undefined][] = [
    ['Active', data?.active_contexts],
    ['Superseded', data?.superseded_contexts],
    ['Preferences', data ? (byType.preference ?? 0) : undefined],
    ['Goals', data ? (byType.goal ?? 0) : undefined],
    ['Decisions', data ? (byType.decision ?? 0) : undefined],
    ['Facts', data ? (byType.fact ?? 0) : undefined],
  ];
  return (
    <section aria-label="Context statistics" className="stats">
      {stats.isError ? (
        <p role="alert" className="form-error">
          {errorMessage(stats.error, 'Failed to load stats')}
        </p>
      ) : null}
      <dl className="stats__list" aria-busy={stats.isFetching}>
        {items.map(([label, value]) => (
          <div key={label} className="stat">
            <dt>{label}</dt>
            <dd>{value ?? '…'}</dd>
          </div>
        ))}
      </dl>
    </section>
  );
}
