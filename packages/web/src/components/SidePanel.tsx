import { useRef, type ReactNode } from 'react';

import { useFocusTrap } from './focus-trap';
import { CloseIcon } from './Icons';

interface Props {
  id: string;
  label: string;
  side: 'left' | 'right';
  open: boolean;
  onClose: () => void;
  /** Wide screens: a column beside the chat. Narrow screens: a drawer over it. */
  inline: boolean;
  children: ReactNode;
}

/** A side panel: a collapsible column on wide screens, a modal drawer (focus trapped, Escape closes) on narrow ones. */
export function SidePanel({ id, label, side, open, onClose, inline, children }: Props) {
  const ref = useRef<HTMLDivElement>(null);
  useFocusTrap(ref, open && !inline, onClose);
  if (!open) {
    return null;
  }
  if (inline) {
    return (
      <aside id={id} aria-label={label} className={`side side--${side}`}>
        {children}
      </aside>
    );
  }
  return (
    <div
      className="drawer-backdrop"
      onMouseDown={(event) => {
        if (event.target === event.currentTarget) {
          onClose();
        }
      }}
    >
      <div
        ref={ref}
        id={id}
        aria-label={label}
        role="dialog"
        aria-modal="true"
        className={`drawer drawer--${side}`}
        tabIndex={-1}
      >
        <div className="drawer__header">
          <button type="button" className="icon-button" aria-label={`Close ${label.toLowerCase()}`} onClick={onClose}>
            <CloseIcon size={16} />
          </button>
        </div>
        {children}
      </div>
    </div>
  );
}
