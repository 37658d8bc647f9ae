/**
 * Runs a synchronous driver call and returns its result as a promise that rejects (rather than throws) on error,
 * so callers of the async store interface can rely on `.catch` and `await` alike.
 */
export function settle<T>(fn: () => T): Promise<T> {
  return new Promise((resolve) => resolve(fn()));
}
