import type { UsedContext } from '@contextpilot/client';
import type { ContextUnit } from '@contextpilot/contract';

import { percent, truncate, typeLabel } from '../../lib/text';

interface Props {
  contexts?: UsedContext[] | null;
  contextIds?: string[] | null;
  prompt?: string | null;
  historyDropped?: number;
  lookup: Map<string, ContextUnit>;
  /** Start expanded (the prompt preview). */
  open?: boolean;
}

function ContextLine({ id, lookup, score }: { id: string; lookup: Map<string, ContextUnit>; score?: UsedContext }) {
  const unit = lookup.get(id);
  return (
    <li className="used-context">
      <div className="used-context__head">
        <span className={`type-badge type-badge--${unit?.type ?? 'unknown'}`}>
          {unit ? typeLabel(unit.type) : 'Context'}
        </span>
        {score ? (
          <span className="used-context__score" title="Relevance score">
            {percent(score.relevance_score)} relevant
          </span>
        ) : null}
        {unit?.status === 'superseded' ? <span className="status-badge">superseded</span> : null}
      </div>
      <p className="used-context__content">
        {unit ? truncate(unit.content, 240) : `Deleted or unknown context (${id})`}
      </p>
      {score ? (
        <p className="used-context__breakdown muted small">
          text {percent(score.score_breakdown.lexical)} · meaning {percent(score.score_breakdown.semantic)} · confidence{' '}
          {percent(score.score_breakdown.confidence)}
          {score.score_breakdown.tag_bonus > 0 ? ` · tag bonus ${percent(score.score_breakdown.tag_bonus)}` : ''}
          {score.score_breakdown.matched_tags.length > 0 ? ` (${score.score_breakdown.matched_tags.join(', ')})` : ''}
          {score.score_breakdown.sequence > 0
            ? ` · follows a related context ${percent(score.score_breakdown.sequence)}`
            : ''}
        </p>
      ) : null}
    </li>
  );
}

/** Which contexts a reply used (with scores when known) and the prompt that was sent. */
export function Transparency({ contexts, contextIds, prompt, historyDropped, lookup, open = false }: Props) {
  const ids = contexts ? contexts.map((c) => c.id) : (contextIds ?? []);
  if (!prompt && ids.length === 0) {
    return null;
  }
  return (
    <div className="transparency">
      <details open={open}>
        <summary>
          Contexts used ({ids.length}){contexts ? '' : ids.length > 0 ? ' · scores not stored' : ''}
        </summary>
        {ids.length === 0 ? (
          <p className="muted small">
            No contexts were sent with this message (follow-ups rely on the conversation history).
          </p>
        ) : (
          <ol className="used-contexts">
            {contexts
              ? contexts.map((c) => <ContextLine key={c.id} id={c.id} lookup={lookup} score={c} />)
              : ids.map((id) => <ContextLine key={id} id={id} lookup={lookup} />)}
          </ol>
        )}
      </details>
      {prompt ? (
        <details open={open}>
          <summary>Prompt sent</summary>
          {historyDropped ? (
            <p className="muted small">{historyDropped} earlier messages were left out to fit the model.</p>
          ) : null}
          {/* Focusable so the prompt can be scrolled with the keyboard. */}
          <pre className="prompt-text" tabIndex={0}>
            {prompt}
          </pre>
        </details>
      ) : null}
    </div>
  );
}
