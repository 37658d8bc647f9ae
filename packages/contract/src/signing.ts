/**
 * Request signing facts shared by the server and the SDK (no zod here: the SDK loads this at run time).
 */

/**
 * `details.reason` of the 401 for a signature the server has already accepted once. Signatures are made per second,
 * so a client that sends the very same request twice in one second makes the same signature; seeing this reason, it
 * may sign again in the next second.
 */
export const SIGNATURE_REPLAYED_REASON = 'signature_replayed';
