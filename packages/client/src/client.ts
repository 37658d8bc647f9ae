import type {
  ContextUnit,
  ContextUnitCreate,
  ContextUnitUpdate,
  ErrorEnvelope,
  GeneratedPrompt,
  Health,
  ImportResult,
  Stats,
  TaskRequest,
} from '@contextpilot/contract';

import { signatureHeaders } from './signing.js';

/** An error response of the API, with its status and the envelope's fields. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export interface ClientOptions {
  /** Base URL of the server, e.g. `http://localhost:8000` (empty string = same origin). */
  baseUrl: string;
  /** Sent as `X-API-Key` when set. */
  apiKey?: string | (() => string | undefined);
  /** Signs POST/PUT/DELETE requests when set. */
  signingSecret?: string | (() => string | undefined);
  /** Methods that are signed (default POST, PUT, DELETE). */
  signedMethods?: readonly string[];
  fetch?: typeof fetch;
}

export interface ListContextsParams {
  include_superseded?: boolean;
  type?: string;
  tags?: string;
  search?: string;
  status_filter?: string;
  limit?: number;
  offset?: number;
}

const resolve = (value: string | (() => string | undefined) | undefined) => (typeof value === 'function' ? value() : value);

function queryString(params: Record<string, string | number | boolean | undefined | null>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') {
      search.set(key, String(value));
    }
  }
  const text = search.toString();
  return text === '' ? '' : `?${text}`;
}

/** Typed SDK over fetch for REST API v1. Returns wire types unchanged; throws ApiError for error responses. */
export function createClient(options: ClientOptions) {
  const doFetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  const signed = (options.signedMethods ?? ['POST', 'PUT', 'DELETE']).map((m) => m.toUpperCase());

  async function send(method: string, pathWithQuery: string, body?: string | Uint8Array, contentType?: string): Promise<Response> {
    const headers: Record<string, string> = {};
    if (contentType) {
      headers['Content-Type'] = contentType;
    }
    const apiKey = resolve(options.apiKey);
    if (apiKey) {
      headers['X-API-Key'] = apiKey;
    }
    const secret = resolve(options.signingSecret);
    if (secret && signed.includes(method)) {
      Object.assign(headers, await signatureHeaders({ secret, method, pathWithQuery, body }));
    }
    const response = await doFetch(`${options.baseUrl}${pathWithQuery}`, { method, headers, body: body as BodyInit | undefined });
    if (!response.ok) {
      let envelope: Partial<ErrorEnvelope> = {};
      try {
        envelope = (await response.json()) as Partial<ErrorEnvelope>;
      } catch {
        // Not JSON: fall back to the status text below.
      }
      throw new ApiError(
        response.status,
        envelope.error_code ?? 'HTTP_ERROR',
        envelope.message ?? (response.statusText || `HTTP ${response.status}`),
        envelope.details ?? {},
      );
    }
    return response;
  }

  async function json<T>(method: string, pathWithQuery: string, body?: unknown): Promise<T> {
    const text = body === undefined ? undefined : JSON.stringify(body);
    const response = await send(method, pathWithQuery, text, text === undefined ? undefined : 'application/json');
    return (await response.json()) as T;
  }

  return {
    health: () => json<Health>('GET', '/health'),
    stats: () => json<Stats>('GET', '/stats'),
    listContexts: (params: ListContextsParams = {}) => json<ContextUnit[]>('GET', `/contexts${queryString({ ...params })}`),
    getContext: (id: string) => json<ContextUnit>('GET', `/contexts/${encodeURIComponent(id)}`),
    createContext: (input: ContextUnitCreate) => json<ContextUnit>('POST', '/contexts', input),
    updateContext: (id: string, patch: ContextUnitUpdate) => json<ContextUnit>('PUT', `/contexts/${encodeURIComponent(id)}`, patch),
    async deleteContext(id: string): Promise<void> {
      await send('DELETE', `/contexts/${encodeURIComponent(id)}`);
    },
    async exportContexts(format: 'json' | 'csv' = 'json'): Promise<{ filename: string; body: string }> {
      const response = await send('GET', `/contexts/export${queryString({ format })}`);
      const disposition = response.headers.get('content-disposition') ?? '';
      const filename = /filename=([^;]+)/.exec(disposition)?.[1] ?? `contexts.${format}`;
      return { filename, body: await response.text() };
    },
    async importContexts(file: { name: string; content: string | Uint8Array }, replaceExisting = false): Promise<ImportResult> {
      // Build the multipart body ourselves so the exact bytes can be signed.
      const boundary = `----contextpilot-${crypto.randomUUID()}`;
      const encoder = new TextEncoder();
      const head = encoder.encode(
        `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${file.name.replace(/["\r\n]/g, '_')}"\r\nContent-Type: application/octet-stream\r\n\r\n`,
      );
      const content = typeof file.content === 'string' ? encoder.encode(file.content) : file.content;
      const tail = encoder.encode(`\r\n--${boundary}--\r\n`);
      const body = new Uint8Array(head.length + content.length + tail.length);
      body.set(head, 0);
      body.set(content, head.length);
      body.set(tail, head.length + content.length);
      const response = await send(
        'POST',
        `/contexts/import${queryString({ replace_existing: replaceExisting })}`,
        body,
        `multipart/form-data; boundary=${boundary}`,
      );
      return (await response.json()) as ImportResult;
    },
    generatePrompt: (request: TaskRequest) => json<GeneratedPrompt>('POST', '/generate-prompt', request),
    generateCompactPrompt: (request: TaskRequest) => json<GeneratedPrompt>('POST', '/generate-prompt/compact', request),
    /** Low-level access for endpoints without a helper yet. */
    request: json,
  };
}
export type ContextPilotClient = ReturnType<typeof createClient>;
