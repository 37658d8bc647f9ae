/**
 * HMAC request signing, the client side of the server's check. Works in browsers and Node (WebCrypto).
 *
 *   payload   = METHOD + "\n" + PATH_WITH_QUERY + "\n" + TIMESTAMP + "\n" + hex(sha256(body bytes))
 *   signature = hex(hmac_sha256(secret, payload))
 *
 * PATH_WITH_QUERY is the request target exactly as sent (`/contexts/import?replace_existing=true`); TIMESTAMP is
 * integer Unix seconds; the body is the exact bytes sent (empty for none).
 */
const encoder = new TextEncoder();

function toHex(buffer: ArrayBuffer): string {
  return Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, '0')).join('');
}

function toBytes(body: string | Uint8Array | undefined): Uint8Array {
  if (body === undefined) {
    return new Uint8Array(0);
  }
  return typeof body === 'string' ? encoder.encode(body) : body;
}

/** Lower-case hex SHA-256 of the body bytes. */
export async function sha256Hex(body: string | Uint8Array | undefined): Promise<string> {
  return toHex(await crypto.subtle.digest('SHA-256', toBytes(body) as Uint8Array<ArrayBuffer>));
}

/** The canonical string that is signed. */
export async function signingPayload(
  method: string,
  pathWithQuery: string,
  timestamp: string,
  body?: string | Uint8Array,
): Promise<string> {
  return `${method.toUpperCase()}\n${pathWithQuery}\n${timestamp}\n${await sha256Hex(body)}`;
}

/** Lower-case hex HMAC-SHA256 signature of a request. */
export async function signRequest(options: {
  secret: string;
  method: string;
  pathWithQuery: string;
  timestamp: string;
  body?: string | Uint8Array;
}): Promise<string> {
  const key = await crypto.subtle.importKey(
    'raw',
    encoder.encode(options.secret),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  );
  const payload = await signingPayload(options.method, options.pathWithQuery, options.timestamp, options.body);
  return toHex(await crypto.subtle.sign('HMAC', key, encoder.encode(payload)));
}

/** Headers to add to a signed request (`X-Request-Timestamp`, `X-Request-Signature`). */
export async function signatureHeaders(options: {
  secret: string;
  method: string;
  pathWithQuery: string;
  body?: string | Uint8Array;
  now?: () => number;
}): Promise<Record<string, string>> {
  const timestamp = String(Math.floor((options.now ?? Date.now)() / 1000));
  const signature = await signRequest({ ...options, timestamp });
  return { 'X-Request-Timestamp': timestamp, 'X-Request-Signature': signature };
}
