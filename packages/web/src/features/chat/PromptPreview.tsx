import type { ContextUnit, GeneratedPrompt } from '@contextpilot/contract';

import { Dialog } from '../../components/Dialog';
import { Transparency } from './Transparency';

interface Props {
  task: string;
  result: GeneratedPrompt | undefined;
  error: string | null;
  loading: boolean;
  onClose: () => void;
}

/** What would be sent for a task: the ranked contexts with scores and the composed prompt. */
export function PromptPreview({ task, result, error, loading, onClose }: Props) {
  const lookup = new Map<string, ContextUnit>(
    (result?.relevant_context ?? []).map((r) => [r.context_unit.id, r.context_unit]),
  );
  return (
    <Dialog
      title="Prompt preview"
      onClose={onClose}
      className="dialog--wide"
      description={`For: ${task.length > 140 ? `${task.slice(0, 139)}…` : task}`}
    >
      {loading ? <p role="status">Ranking contexts…</p> : null}
      {error ? (
        <p role="alert" className="form-error">
          {error}
        </p>
      ) : null}
      {result ? (
        <div className="preview" data-testid="prompt-preview">
          <p className="muted small">
            {result.relevant_context.length} contexts would be sent with a new chat. Follow-ups send none unless
            “Refresh contexts” is ticked.
          </p>
          <Transparency
            contexts={result.relevant_context.map((r) => ({
              id: r.context_unit.id,
              relevance_score: r.relevance_score,
              score_breakdown: r.score_breakdown,
            }))}
            prompt={result.generated_prompt}
            lookup={lookup}
            open
          />
        </div>
      ) : null}
    </Dialog>
  );
}
