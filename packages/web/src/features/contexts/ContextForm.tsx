import { useId, useRef, useState, type FormEvent, type ReactNode, type RefObject } from 'react';

import { CONTEXT_TYPE_NAMES, typeLabel } from '../../lib/text';
import { validateDraft, type Draft, type DraftErrors } from './draft';
import { TagInput } from './TagInput';

interface Props {
  draft: Draft;
  onChange: (draft: Draft) => void;
  onSubmit: () => void;
  submitLabel: string;
  busy: boolean;
  busyLabel: string;
  onCancel?: () => void;
  /** `source` can be set on create only (an update cannot change it). */
  showSource?: boolean;
  contentRef?: RefObject<HTMLTextAreaElement | null>;
  /** Accessible name of the form. */
  label: string;
  children?: ReactNode;
}

/** Type, content, confidence and tags of a context (create, edit and supersede use it). */
export function ContextForm({
  draft,
  onChange,
  onSubmit,
  submitLabel,
  busy,
  busyLabel,
  onCancel,
  showSource = false,
  contentRef,
  label,
  children,
}: Props) {
  const ids = {
    type: useId(),
    content: useId(),
    confidence: useId(),
    source: useId(),
    contentError: useId(),
    confidenceError: useId(),
  };
  const [errors, setErrors] = useState<DraftErrors>({});
  const ownContentRef = useRef<HTMLTextAreaElement>(null);
  const confidenceRef = useRef<HTMLInputElement>(null);
  const contentInput = contentRef ?? ownContentRef;

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const found = validateDraft(draft);
    setErrors(found);
    if (found.content) {
      contentInput.current?.focus();
      return;
    }
    if (found.confidence) {
      confidenceRef.current?.focus();
      return;
    }
    onSubmit();
  };

  return (
    <form className="form context-form" onSubmit={submit} aria-label={label} noValidate>
      <div className="field">
        <label htmlFor={ids.type}>Type</label>
        <select
          id={ids.type}
          value={draft.type}
          onChange={(event) => onChange({ ...draft, type: event.target.value as Draft['type'] })}
        >
          {CONTEXT_TYPE_NAMES.map((type) => (
            <option key={type} value={type}>
              {typeLabel(type)}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor={ids.content}>Content</label>
        <textarea
          ref={contentInput}
          id={ids.content}
          rows={4}
          value={draft.content}
          placeholder="Describe your preference, decision, fact, or goal…"
          aria-invalid={errors.content ? true : undefined}
          aria-describedby={errors.content ? ids.contentError : undefined}
          onChange={(event) => {
            onChange({ ...draft, content: event.target.value });
            if (errors.content) {
              setErrors({ ...errors, content: undefined });
            }
          }}
        />
        {errors.content ? (
          <p id={ids.contentError} className="form-error" role="alert">
            {errors.content}
          </p>
        ) : null}
      </div>
      <div className="field field--narrow">
        <label htmlFor={ids.confidence}>Confidence (0–1)</label>
        <input
          ref={confidenceRef}
          id={ids.confidence}
          type="number"
          inputMode="decimal"
          min={0}
          max={1}
          step={0.05}
          value={draft.confidence}
          aria-invalid={errors.confidence ? true : undefined}
          aria-describedby={errors.confidence ? ids.confidenceError : undefined}
          onChange={(event) => {
            onChange({ ...draft, confidence: event.target.value });
            if (errors.confidence) {
              setErrors({ ...errors, confidence: undefined });
            }
          }}
        />
        {errors.confidence ? (
          <p id={ids.confidenceError} className="form-error" role="alert">
            {errors.confidence}
          </p>
        ) : null}
      </div>
      <TagInput
        tags={draft.tags}
        text={draft.tagText}
        onChange={(tags, tagText) => onChange({ ...draft, tags, tagText })}
      />
      {showSource ? (
        <div className="field">
          <label htmlFor={ids.source}>Source (optional)</label>
          <input
            id={ids.source}
            type="text"
            value={draft.source}
            placeholder="manual"
            onChange={(event) => onChange({ ...draft, source: event.target.value })}
          />
        </div>
      ) : null}
      {children}
      <div className="form-actions">
        {onCancel ? (
          <button type="button" className="button" onClick={onCancel}>
            Cancel
          </button>
        ) : null}
        <button type="submit" className="button button--primary" disabled={busy}>
          {busy ? busyLabel : submitLabel}
        </button>
      </div>
    </form>
  );
}
