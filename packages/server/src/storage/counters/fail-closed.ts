import { securityStoreUnavailable } from '../../errors.js';
import type { CounterStore } from './counter-store.js';

/**
 * The counters behind lockouts and rate limits, failing closed: when their store (Redis) is unreachable, protected
 * requests get 503 rather than being let through unchecked.
 */
export function failClosed(counters: CounterStore): CounterStore {
  // A plain promise chain rather than an async wrapper: one of these runs on every protected request.
  const guard =
    <A extends unknown[], R>(fn: (...args: A) => Promise<R>) =>
    (...args: A): Promise<R> => {
      try {
        return fn(...args).catch((error: unknown) => Promise.reject(securityStoreUnavailable(error)));
      } catch (error) {
        return Promise.reject(securityStoreUnavailable(error));
      }
    };
  return {
    increment: guard(counters.increment.bind(counters)),
    peek: guard(counters.peek.bind(counters)),
    addIfAbsent: guard(counters.addIfAbsent.bind(counters)),
    // Unguarded: /health reports a failure itself rather than failing.
    ping: () => counters.ping(),
    close: () => counters.close(),
  };
}
