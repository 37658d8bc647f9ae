import { useId, useRef, type ReactNode, type RefObject } from 'react';
import { createPortal } from 'react-dom';

import { useFocusTrap } from './focus-trap';
import { CloseIcon } from './Icons';

export interface DialogProps {
  title: string;
  onClose: () => void;
  children?: ReactNode;
  /** Buttons under the content. */
  footer?: ReactNode;
  /** Extra class for sizing (`dialog--wide`). */
  className?: string;
  /** The control to focus first; the first focusable one otherwise. */
  initialFocus?: RefObject<HTMLElement | null>;
  /** A shorter description read with the title. */
  description?: string;
  /** `alertdialog` for confirmations. */
  role?: 'dialog' | 'alertdialog';
}

/** A modal dialog: labelled, traps focus, closes with Escape, the × button or a click on the backdrop. */
export function Dialog({
  title,
  onClose,
  children,
  footer,
  className,
  initialFocus,
  description,
  role = 'dialog',
}: DialogProps) {
  const ref = useRef<HTMLDivElement>(null);
  const titleId = useId();
  const descriptionId = useId();
  useFocusTrap(ref, true, onClose, initialFocus);
  return createPortal(
    <div
      className="backdrop"
      onMouseDown={(event) => {
        if (event.target === event.currentTarget) {
          onClose();
        }
      }}
    >
      <div
        ref={ref}
        className={`dialog ${className ?? ''}`}
        role={role}
        aria-modal="true"
        aria-labelledby={titleId}
        aria-describedby={description ? descriptionId : undefined}
        tabIndex={-1}
      >
        {/* div, not header/footer: in a dialog portalled to <body> those would be page-level landmarks. */}
        <div className="dialog__header">
          <h2 id={titleId}>{title}</h2>
          <button type="button" className="icon-button" aria-label="Close" onClick={onClose}>
            <CloseIcon size={16} />
          </button>
        </div>
        {description ? (
          <p id={descriptionId} className="dialog__description">
            {description}
          </p>
        ) : null}
        <div className="dialog__body">{children}</div>
        {footer ? <div className="dialog__footer">{footer}</div> : null}
      </div>
    </div>,
    document.body,
  );
}
