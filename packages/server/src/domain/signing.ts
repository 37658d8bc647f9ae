import { createHmac, hash, timingSafeEqual } from 'node:crypto';

/**
 * Request signing, server side. The signed payload is
 *
 *   METHOD + "\n" + REQUEST_TARGET + "\n" + TIMESTAMP + "\n" + hex(sha256(raw body bytes))
 *
 * where REQUEST_TARGET is the path plus `?query` exactly as sent on the request line, TIMESTAMP is integer Unix
 * seconds as sent, and the signature is lower-case hex HMAC-SHA256 with the shared secret.
 */
export type SignatureCheck =
  { ok: true } | { ok: false; outcome: 'missing_headers' | 'invalid_timestamp' | 'invalid_signature'; message: string };

const TIMESTAMP = /^[0-9]{1,12}$/;
const SIGNATURE = /^[0-9a-fA-F]{64}$/;

export function bodyHash(body: Uint8Array): string {
  return hash('sha256', body, 'hex');
}

export function signingPayload(method: string, target: string, timestamp: string, body: Uint8Array): string {
  return `${method.toUpperCase()}\n${target}\n${timestamp}\n${bodyHash(body)}`;
}

export function computeSignature(
  secret: string,
  method: string,
  target: string,
  timestamp: string,
  body: Uint8Array,
): string {
  return createHmac('sha256', secret)
    .update(signingPayload(method, target, timestamp, body))
    .digest('hex');
}

/**
 * Verifies a request's signature headers. Never throws: any malformed input is a failed check.
 * @param nowSeconds current Unix time in seconds
 * @param maxAgeSeconds accepted distance of the timestamp from now, in both directions
 */
export function verifySignature(input: {
  secret: string;
  method: string;
  target: string;
  body: Uint8Array;
  timestampHeader: string | undefined;
  signatureHeader: string | undefined;
  nowSeconds: number;
  maxAgeSeconds: number;
}): SignatureCheck {
  const { timestampHeader: ts, signatureHeader: sig } = input;
  if (ts === undefined || sig === undefined || ts === '' || sig === '') {
    return { ok: false, outcome: 'missing_headers', message: 'Missing request signature headers' };
  }
  if (!TIMESTAMP.test(ts) || Math.abs(input.nowSeconds - Number(ts)) > input.maxAgeSeconds) {
    return { ok: false, outcome: 'invalid_timestamp', message: 'Request signature timestamp is invalid or expired' };
  }
  if (!SIGNATURE.test(sig)) {
    return { ok: false, outcome: 'invalid_signature', message: 'Invalid request signature' };
  }
  const expected = Buffer.from(computeSignature(input.secret, input.method, input.target, ts, input.body), 'hex');
  const given = Buffer.from(sig, 'hex');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return { ok: false, outcome: 'invalid_signature', message: 'Invalid request signature' };
  }
  return { ok: true };
}
