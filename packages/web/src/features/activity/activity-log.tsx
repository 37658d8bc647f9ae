import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from 'react';

export type Channel = 'user' | 'server';

export interface LogEntry {
  id: number;
  at: string;
  channel: Channel;
  message: string;
}

export const MAX_LOG_ENTRIES = 200;

interface ActivityLogValue {
  entries: LogEntry[];
  log: (channel: Channel, message: string) => void;
  clear: () => void;
}

const ActivityLogContext = createContext<ActivityLogValue | null>(null);

let nextId = 1;

/** What the user did and what the server answered, newest first, the last 200, in memory only. No content. */
export function ActivityLogProvider({ children }: { children: ReactNode }) {
  const [entries, setEntries] = useState<LogEntry[]>([]);
  const log = useCallback((channel: Channel, message: string) => {
    const entry: LogEntry = { id: nextId++, at: new Date().toISOString(), channel, message };
    setEntries((current) => [entry, ...current].slice(0, MAX_LOG_ENTRIES));
  }, []);
  const clear = useCallback(() => setEntries([]), []);
  const value = useMemo(() => ({ entries, log, clear }), [entries, log, clear]);
  return <ActivityLogContext.Provider value={value}>{children}</ActivityLogContext.Provider>;
}

export function useActivityLog(): ActivityLogValue {
  const value = useContext(ActivityLogContext);
  if (!value) {
    throw new Error('useActivityLog must be used inside <ActivityLogProvider>');
  }
  return value;
}
