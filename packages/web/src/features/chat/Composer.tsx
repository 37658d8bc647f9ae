import { forwardRef, useId, useRef, type FormEvent } from 'react';

import { isSendKey } from './chat-params';

interface Props {
  value: string;
  onChange: (value: string) => void;
  onSend: () => void;
  onStop: () => void;
  onPreview: () => void;
  streaming: boolean;
  isFollowUp: boolean;
  disabled?: boolean;
}

/** The message box: Enter sends, Shift+Enter adds a line, Enter while an IME is composing does nothing. */
export const Composer = forwardRef<HTMLTextAreaElement, Props>(function Composer(
  { value, onChange, onSend, onStop, onPreview, streaming, isFollowUp, disabled = false },
  ref,
) {
  const composing = useRef(false);
  const id = useId();
  const hintId = useId();
  const blank = value.trim() === '';

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!blank && !streaming && !disabled) {
      onSend();
    }
  };

  return (
    <form className="composer" onSubmit={submit} aria-label="Send a message">
      <label htmlFor={id} className="visually-hidden">
        Message
      </label>
      <textarea
        ref={ref}
        id={id}
        className="composer__input"
        rows={3}
        value={value}
        placeholder={isFollowUp ? 'Continue the conversation…' : 'Ask a question or describe a task…'}
        aria-describedby={hintId}
        onChange={(event) => onChange(event.target.value)}
        onCompositionStart={() => {
          composing.current = true;
        }}
        onCompositionEnd={() => {
          composing.current = false;
        }}
        onKeyDown={(event) => {
          if (isSendKey(event, composing.current)) {
            event.preventDefault();
            if (!blank && !streaming && !disabled) {
              onSend();
            }
          }
        }}
      />
      <p id={hintId} className="visually-hidden">
        Enter sends, Shift+Enter starts a new line.
      </p>
      <div className="composer__actions">
        <button type="button" className="button" onClick={onPreview} disabled={blank || streaming}>
          Preview prompt
        </button>
        {streaming ? (
          <button type="button" className="button button--danger" onClick={onStop}>
            Stop
          </button>
        ) : (
          <button
            type="submit"
            className="button button--primary"
            disabled={blank || disabled}
            title="Send message (Enter)"
          >
            Send
          </button>
        )}
      </div>
    </form>
  );
});
