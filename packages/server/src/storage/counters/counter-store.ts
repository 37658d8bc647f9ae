/**
 * Short-lived shared counters: fixed-window rate limits and the failed-authentication lockout. In memory by default;
 * in Redis when several instances must share them. (Accepted signatures are kept in the database instead: see
 * `SignatureStore`.)
 */
export interface CounterStore {
  /** Adds one to `key` in its current window (the window starts at the first hit); returns the count and ms left. */
  increment(key: string, windowMs: number): Promise<{ count: number; resetMs: number }>;
  /** The count of `key` in its current window without changing it (0 when none). */
  peek(key: string): Promise<{ count: number; resetMs: number }>;
  /** Stores `key` for `ttlMs` unless it exists; true when it was stored (i.e. seen for the first time). */
  addIfAbsent(key: string, ttlMs: number): Promise<boolean>;
  /** Resolves when the store answers, rejects when it cannot be reached. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
