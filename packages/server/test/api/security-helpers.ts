import { request as httpRequest } from 'node:http';

import type { FastifyInstance } from 'fastify';
import { expect } from 'vitest';

import { signatureHeaders } from '../../../client/src/signing.js';

/** What the security tests send over real HTTP. */
export interface CallOptions {
  /** The `X-API-Key` value; undefined: the configuration's key; null: no key at all. */
  key?: string | null;
  body?: string | Uint8Array;
  headers?: Record<string, string>;
  /** False: leave the request unsigned even where the configuration signs it. */
  sign?: boolean;
}

/** How one test file's calls authenticate. */
export interface CallConfig {
  /** The request-signing secret. */
  secret: string;
  /** The key sent when a call names none; undefined: no key. */
  key?: string;
  /** Whether a request with this method is signed (unless `sign: false`); by default every method but GET. */
  signs?: (method: string) => boolean;
  /** The time signatures are made at, in epoch milliseconds; the real time when undefined. */
  now?: () => number;
}

/** The JSON of a body, or null when it is not JSON. */
export function parseJson(text: string): ReturnType<typeof JSON.parse> {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

/**
 * The headers of one call: `options.headers`, the API key, `content-type: application/json` for a text body that
 * has none, and the signature headers where `config` signs the method. Returns the signature it added, if any.
 */
export async function callHeaders(
  config: CallConfig,
  method: string,
  path: string,
  options: CallOptions,
): Promise<{ headers: Record<string, string>; signature: string | undefined }> {
  const headers: Record<string, string> = { ...options.headers };
  const key = options.key === undefined ? config.key : options.key;
  if (key !== null && key !== undefined) {
    headers['x-api-key'] = key;
  }
  if (typeof options.body === 'string') {
    headers['content-type'] ??= 'application/json';
  }
  let signature: string | undefined;
  const signs = config.signs ?? ((m: string) => m !== 'GET');
  if (signs(method) && options.sign !== false) {
    const signed = await signatureHeaders({
      secret: config.secret,
      method,
      pathWithQuery: path,
      body: options.body,
      now: config.now,
    });
    signature = signed['X-Request-Signature'];
    Object.assign(headers, signed);
  }
  return { headers, signature };
}

/** One request over fetch: the status, headers, body text and its JSON (null when it is not JSON). */
export async function fetchText(url: string, init: Omit<RequestInit, 'body'> & { body?: string | Uint8Array }) {
  // Node's fetch sends a Uint8Array as is; the DOM typing of BodyInit only lacks the ArrayBufferLike variant.
  const res = await fetch(url, init as RequestInit);
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, json: parseJson(text) };
}

export type CallResult = Awaited<ReturnType<typeof fetchText>>;

/** One call to `base + path` with `callHeaders(config, …)`; `redirect: 'manual'` to see redirects as they are. */
export async function signedCall(
  config: CallConfig,
  base: string,
  method: string,
  path: string,
  options: CallOptions = {},
  redirect?: RequestRedirect,
): Promise<CallResult> {
  const { headers } = await callHeaders(config, method, path, options);
  return fetchText(base + path, { method, headers, body: options.body, ...(redirect ? { redirect } : {}) });
}

/** A request through node:http, for what fetch cannot send (repeated headers, raw bytes in a header). */
export function rawCall(
  server: { base: string },
  method: string,
  path: string,
  headers: Record<string, string | string[]>,
  body?: string,
) {
  return new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; text: string }>(
    (resolve, reject) => {
      const req = httpRequest(server.base + path, { method, headers, agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(body);
    },
  );
}

/** The security events recorded for one request, read from the audit service. */
export async function auditEventsOf(server: { app: FastifyInstance }, requestId: string | null) {
  expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
  return server.app.parts.audit.list({ limit: 50, offset: 0, requestId: requestId ?? '' });
}
