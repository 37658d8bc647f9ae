import type { ContextUnit } from '@contextpilot/contract';
import { useState } from 'react';

import { errorMessage } from '../../api/errors';
import { useDeleteContext, useSupersedeContext, useUpdateContext } from '../../api/hooks';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { Dialog } from '../../components/Dialog';
import { useNotify } from '../../components/Notifications';
import { TagList } from '../../components/TagList';
import { percent, truncate, typeLabel } from '../../lib/text';
import { formatDateTime } from '../../lib/time';
import { ContextForm } from './ContextForm';
import { draftFromUnit, toCreate, toUpdate, type Draft } from './draft';

interface Props {
  unit: ContextUnit;
  /** Other units by id, to name a replacement. */
  lookup: Map<string, ContextUnit>;
}

type Mode = 'view' | 'edit' | 'supersede' | 'delete';

/** One context with its details and the edit, supersede, reactivate and delete actions. */
export function ContextItem({ unit, lookup }: Props) {
  const [mode, setMode] = useState<Mode>('view');
  const [draft, setDraft] = useState<Draft>(() => draftFromUnit(unit));
  const update = useUpdateContext();
  const supersede = useSupersedeContext();
  const remove = useDeleteContext();
  const notify = useNotify();
  const superseded = unit.status === 'superseded';
  const replacement = unit.superseded_by ? lookup.get(unit.superseded_by) : undefined;

  const begin = (next: Mode) => {
    setDraft(draftFromUnit(unit));
    setMode(next);
  };

  const saveEdit = async () => {
    const patch = toUpdate(draft, unit);
    if (Object.keys(patch).length === 0) {
      setMode('view');
      return;
    }
    try {
      await update.mutateAsync({ id: unit.id, patch });
      notify('success', 'Context updated');
      setMode('view');
    } catch (error) {
      notify('error', errorMessage(error, 'Failed to update context'));
    }
  };

  const saveSupersede = async () => {
    try {
      await supersede.mutateAsync({ old: unit, replacement: toCreate({ ...draft, source: unit.source }) });
      notify('success', 'Context superseded: the new version is active');
      setMode('view');
    } catch (error) {
      notify('error', errorMessage(error, 'Failed to supersede context'));
    }
  };

  const reactivate = async () => {
    try {
      await update.mutateAsync({ id: unit.id, patch: { status: 'active', superseded_by: null } });
      notify('success', 'Context is active again');
    } catch (error) {
      notify('error', errorMessage(error, 'Failed to update context'));
    }
  };

  const confirmDelete = async () => {
    try {
      await remove.mutateAsync(unit.id);
      notify('success', 'Context deleted successfully!');
    } catch (error) {
      setMode('view');
      notify('error', errorMessage(error, 'Failed to delete context'));
    }
  };

  const label = `${typeLabel(unit.type)}: ${truncate(unit.content, 60)}`;

  return (
    <li
      className={`context-item${superseded ? ' context-item--superseded' : ''}`}
      aria-label={label}
      data-testid="context-item"
    >
      {mode === 'edit' ? (
        <ContextForm
          label={`Edit context: ${truncate(unit.content, 40)}`}
          draft={draft}
          onChange={setDraft}
          onSubmit={() => void saveEdit()}
          onCancel={() => setMode('view')}
          submitLabel="Save changes"
          busyLabel="Saving…"
          busy={update.isPending}
        />
      ) : (
        <>
          <div className="context-item__head">
            <span className={`type-badge type-badge--${unit.type}`}>{typeLabel(unit.type)}</span>
            <span className="muted small">{percent(unit.confidence)} confidence</span>
            <span className={`status-badge status-badge--${unit.status}`}>{unit.status}</span>
          </div>
          <p className="context-item__content plain-text">{unit.content}</p>
          <TagList tags={unit.tags} />
          <p className="muted small">
            Source: {unit.source} · Added <time dateTime={unit.created_at}>{formatDateTime(unit.created_at)}</time> ·
            Last used{' '}
            {unit.last_used ? <time dateTime={unit.last_used}>{formatDateTime(unit.last_used)}</time> : 'never'}
          </p>
          {superseded ? (
            <p className="small">
              Superseded by:{' '}
              {replacement ? `“${truncate(replacement.content, 80)}”` : (unit.superseded_by ?? 'unknown')}
            </p>
          ) : null}
          <div className="context-item__actions">
            <button
              type="button"
              className="button button--small"
              onClick={() => begin('edit')}
              aria-label={`Edit: ${truncate(unit.content, 40)}`}
            >
              Edit
            </button>
            {superseded ? (
              <button
                type="button"
                className="button button--small"
                onClick={() => void reactivate()}
                disabled={update.isPending}
                aria-label={`Reactivate: ${truncate(unit.content, 40)}`}
              >
                Reactivate
              </button>
            ) : (
              <button
                type="button"
                className="button button--small"
                onClick={() => begin('supersede')}
                aria-label={`Supersede: ${truncate(unit.content, 40)}`}
              >
                Supersede
              </button>
            )}
            <button
              type="button"
              className="button button--small button--danger"
              onClick={() => setMode('delete')}
              aria-label={`Delete: ${truncate(unit.content, 40)}`}
            >
              Delete
            </button>
          </div>
        </>
      )}
      {mode === 'supersede' ? (
        <Dialog
          title="Supersede context"
          description="Write the new version. It becomes active and this one is kept as superseded."
          onClose={() => setMode('view')}
          className="dialog--wide"
        >
          <blockquote className="muted">{unit.content}</blockquote>
          <ContextForm
            label="New version"
            draft={draft}
            onChange={setDraft}
            onSubmit={() => void saveSupersede()}
            onCancel={() => setMode('view')}
            submitLabel="Save new version"
            busyLabel="Saving…"
            busy={supersede.isPending}
          />
        </Dialog>
      ) : null}
      {mode === 'delete' ? (
        <ConfirmDialog
          title="Delete context?"
          message={`“${truncate(unit.content, 100)}” will be deleted. This cannot be undone.`}
          confirmLabel="Delete"
          busy={remove.isPending}
          onCancel={() => setMode('view')}
          onConfirm={() => void confirmDelete()}
        />
      ) : null}
    </li>
  );
}
