import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';

import { useActivityLog } from '../features/activity/activity-log';
import { CloseIcon } from './Icons';

export type NoticeKind = 'success' | 'error' | 'info';

export interface Notice {
  id: number;
  kind: NoticeKind;
  message: string;
  action?: { label: string; onClick: () => void };
}

interface NotifyOptions {
  action?: Notice['action'];
  /** Milliseconds before it goes away; errors stay until dismissed unless this is set. */
  timeoutMs?: number;
}

type Notify = (kind: NoticeKind, message: string, options?: NotifyOptions) => void;

const NotifyContext = createContext<Notify | null>(null);

const MAX_NOTICES = 5;
export const NOTICE_TIMEOUT_MS = 4000;

/** The one place messages appear: a stack of notices in a polite live region; errors are alerts. */
export function NotificationsProvider({ children }: { children: ReactNode }) {
  const [notices, setNotices] = useState<Notice[]>([]);
  const timers = useRef(new Map<number, ReturnType<typeof setTimeout>>());
  const nextId = useRef(1);
  const { log } = useActivityLog();

  const dismiss = useCallback((id: number) => {
    setNotices((current) => current.filter((n) => n.id !== id));
    const timer = timers.current.get(id);
    if (timer) {
      clearTimeout(timer);
      timers.current.delete(id);
    }
  }, []);

  const notify = useCallback<Notify>(
    (kind, message, options = {}) => {
      const id = nextId.current++;
      log('user', `${kind === 'error' ? 'Error' : kind === 'success' ? 'Success' : 'Info'}: ${message}`);
      setNotices((current) => {
        // The same text twice in a row is shown once.
        const rest = current.filter((n) => !(n.message === message && n.kind === kind));
        return [...rest, { id, kind, message, action: options.action }].slice(-MAX_NOTICES);
      });
      const timeout = options.timeoutMs ?? (kind === 'error' || options.action ? undefined : NOTICE_TIMEOUT_MS);
      if (timeout !== undefined) {
        timers.current.set(
          id,
          setTimeout(() => dismiss(id), timeout),
        );
      }
    },
    [dismiss, log],
  );

  useEffect(() => {
    const map = timers.current;
    return () => {
      for (const timer of map.values()) {
        clearTimeout(timer);
      }
    };
  }, []);

  const value = useMemo(() => notify, [notify]);
  return (
    <NotifyContext.Provider value={value}>
      {children}
      <div
        className="notices"
        aria-live="polite"
        aria-relevant="additions text"
        aria-label="Notifications"
        role="region"
      >
        {notices.map((notice) => (
          <div
            key={notice.id}
            className={`notice notice--${notice.kind}`}
            role={notice.kind === 'error' ? 'alert' : 'status'}
          >
            <span className="notice__text">{notice.message}</span>
            {notice.action ? (
              <button
                type="button"
                className="button button--small"
                onClick={() => {
                  notice.action?.onClick();
                  dismiss(notice.id);
                }}
              >
                {notice.action.label}
              </button>
            ) : null}
            <button
              type="button"
              className="icon-button"
              aria-label="Dismiss notification"
              onClick={() => dismiss(notice.id)}
            >
              <CloseIcon size={16} />
            </button>
          </div>
        ))}
      </div>
    </NotifyContext.Provider>
  );
}

export function useNotify(): Notify {
  const notify = useContext(NotifyContext);
  if (!notify) {
    throw new Error('useNotify must be used inside <NotificationsProvider>');
  }
  return notify;
}
