import type {
  AIRequest,
  AIResponse,
  ChatStreamEventData,
  ChatStreamEventName,
  ContextUnit,
  ContextUnitCreate,
  ContextUnitUpdate,
  ConversationDetail,
  ConversationList,
  ErrorEnvelope,
  GeneratedPrompt,
  Health,
  ImportResult,
  ProvidersResponse,
  RotateKeyResponse,
  ApiKeyCreate,
  ApiKeyCreated,
  ApiKeyList,
  ApiKeyRotate,
  SecurityEventList,
  SettingsResponse,
  SettingsUpdate,
  SettingsUpdateResponse,
  Stats,
  SupersedeRequest,
  TaskRequest,
  ValidateResponse,
} from '@contextpilot/contract';

import { SIGNATURE_REPLAYED_REASON } from '@contextpilot/contract/signing';

import { signatureHeaders } from './signing.js';
import { readSse } from './sse.js';

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

/** True for the error a fetch (or a stream read) throws when its AbortSignal fires. */
export function isAbortError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null || !('name' in error)) {
    return false;
  }
  return error.name === 'AbortError' || error.name === 'TimeoutError';
}

/** Per-call options. */
export interface RequestOptions {
  /** Aborts the request (and, for a stream, the reading of it). */
  signal?: AbortSignal;
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

export interface ConversationListParams {
  limit?: number;
  offset?: number;
  /** Text to look for in the conversations' tasks and messages. */
  search?: string;
}

export interface SecurityEventsParams {
  limit?: number;
  offset?: number;
  event?: string;
  outcome?: string;
  request_id?: string;
}

/** The answer of `POST /security/api-key/rotate`: the new key, shown this once. */
export type RotateKeyResult = RotateKeyResponse;

/** Options of a connection check: a model to try and values typed in a form but not saved yet. */
export interface ValidateProviderInput {
  model?: string;
  api_key?: string;
  base_url?: string;
}

/** A context used for a reply, with its score. */
export type { ChatStreamMeta, UsedContext } from '@contextpilot/contract';

/** The stream events the SDK yields: all of the contract's but `error`, which it throws as an ApiError. */
export type ChatStreamEventType = Exclude<ChatStreamEventName, 'error'>;

/**
 * Events of `POST /ai/chat/stream` as the SDK yields them: one per event of the contract's `CHAT_STREAM_EVENTS` but
 * `error`, with the data its schema gives. The SDK uses the schemas' types only, so that zod stays out of browser
 * bundles.
 */
export type ChatStreamEvent = {
  [K in ChatStreamEventType]: { type: K; data: ChatStreamEventData<K> };
}[ChatStreamEventType];

/** The contract's stream event names; a `Record` so that an event added to the contract fails to compile here. */
const STREAM_EVENT_NAMES: Record<ChatStreamEventName, true> = { meta: true, delta: true, done: true, error: true };

const isStreamEventName = (name: string): name is ChatStreamEventName => Object.hasOwn(STREAM_EVENT_NAMES, name);

export interface ListContextsParams {
  include_superseded?: boolean;
  type?: string;
  tags?: string;
  search?: string;
  status_filter?: string;
  limit?: number;
  offset?: number;
}

/** An id or name the SDK refuses before sending anything (see `pathSegment`). */
export class InvalidIdError extends TypeError {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidIdError';
  }
}

/**
 * One path segment made of a caller's id or name, percent-encoded. Throws an InvalidIdError for an empty string, `.` and
 * `..`: they stay as they are once encoded, and URL resolution reads them as "this folder" and "the parent folder",
 * so `/contexts/..` would reach another route.
 */
function pathSegment(value: string, what = 'id'): string {
  if (typeof value !== 'string' || value === '' || value === '.' || value === '..') {
    const shown = typeof value === 'string' ? JSON.stringify(value) : typeof value;
    throw new InvalidIdError(`Invalid ${what} ${shown}: it must be a non-empty string other than "." and ".."`);
  }
  return encodeURIComponent(value);
}

const resolve = (value: string | (() => string | undefined) | undefined) =>
  typeof value === 'function' ? value() : value;

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

async function toApiError(response: Response): Promise<ApiError> {
  let envelope: Partial<ErrorEnvelope> = {};
  try {
    envelope = (await response.json()) as Partial<ErrorEnvelope>;
  } catch {
    // Not JSON: fall back to the status text below.
  }
  const message =
    typeof envelope.message === 'string'
      ? envelope.message
      : typeof envelope.detail === 'string'
        ? envelope.detail
        : '';
  return new ApiError(
    response.status,
    typeof envelope.error_code === 'string' ? envelope.error_code : 'HTTP_ERROR',
    message || response.statusText || `HTTP ${response.status}`,
    envelope.details && typeof envelope.details === 'object' ? envelope.details : {},
  );
}

/** Resolves after `ms`, or rejects when `signal` aborts first. */
function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    signal?.throwIfAborted();
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason as Error);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * How many seconds a signature's timestamp may lie in the past (far inside the server's window of minutes). The
 * server accepts a signature once, and a signature covers the request and its second: identical requests made in the
 * same second (the same search from two assistants, or a script run twice) would carry the same signature. A
 * timestamp picked at random from this range tells them apart.
 */
const TIMESTAMP_SPREAD_SECONDS = 15;
/** Times a request refused as a replay is signed again and sent. */
const REPLAY_RETRIES = 4;

/** Signatures never used twice by one client: each request gets a timestamp no other request of it has used. */
function createSignatureSource(random: () => number = Math.random) {
  /** Signatures handed out, with their timestamp (seconds), kept while the timestamp can still be picked. */
  const used = new Map<string, number>();
  return {
    async sign(
      request: { secret: string; method: string; pathWithQuery: string; body?: string | Uint8Array },
      signal?: AbortSignal,
    ): Promise<Record<string, string>> {
      for (;;) {
        const nowSecond = Math.floor(Date.now() / 1000);
        for (const [signature, second] of used) {
          if (second < nowSecond - TIMESTAMP_SPREAD_SECONDS) {
            used.delete(signature);
          }
        }
        const start = Math.floor(random() * (TIMESTAMP_SPREAD_SECONDS + 1));
        for (let step = 0; step <= TIMESTAMP_SPREAD_SECONDS; step++) {
          const second = nowSecond - ((start + step) % (TIMESTAMP_SPREAD_SECONDS + 1));
          const headers = await signatureHeaders({ ...request, now: () => second * 1000 });
          const signature = headers['X-Request-Signature'] ?? '';
          if (!used.has(signature)) {
            used.set(signature, second);
            return headers;
          }
        }
        // Every second of the range is taken by this very request: the next second frees one.
        await delay(1000 - (Date.now() % 1000) + 1, signal);
      }
    },
  };
}

/** The server's answer to a signature it had already accepted once. */
const isReplayRefusal = (answer: Response | ApiError) =>
  answer instanceof ApiError && answer.status === 401 && answer.details.reason === SIGNATURE_REPLAYED_REASON;

/** Typed SDK over fetch for REST API v1. Returns wire types unchanged; throws ApiError for error responses. */
export function createClient(options: ClientOptions) {
  const doFetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  const signed = (options.signedMethods ?? ['POST', 'PUT', 'DELETE']).map((m) => m.toUpperCase());
  const signatures = createSignatureSource();

  async function send(
    method: string,
    pathWithQuery: string,
    body?: string | Uint8Array,
    contentType?: string,
    extra: { signal?: AbortSignal; accept?: string } = {},
  ): Promise<Response> {
    const headers: Record<string, string> = {};
    if (contentType) {
      headers['Content-Type'] = contentType;
    }
    if (extra.accept) {
      headers.Accept = extra.accept;
    }
    const apiKey = resolve(options.apiKey);
    if (apiKey) {
      headers['X-API-Key'] = apiKey;
    }
    const secret = resolve(options.signingSecret);
    const signs = Boolean(secret) && signed.includes(method);
    const attempt = async () => {
      const signature =
        secret && signs ? await signatures.sign({ secret, method, pathWithQuery, body }, extra.signal) : {};
      const init: RequestInit = { method, headers: { ...headers, ...signature }, body: body as BodyInit | undefined };
      if (extra.signal) {
        init.signal = extra.signal;
      }
      const response = await doFetch(`${options.baseUrl}${pathWithQuery}`, init);
      return response.ok ? response : await toApiError(response);
    };
    let answer = await attempt();
    // Another client sent these very bytes with the same timestamp: the server refused this copy and did nothing
    // with it, so it is signed again (with another timestamp) and sent.
    for (let retry = 0; retry < REPLAY_RETRIES && signs && isReplayRefusal(answer); retry++) {
      answer = await attempt();
    }
    if (answer instanceof ApiError) {
      throw answer;
    }
    return answer;
  }

  async function json<T>(
    method: string,
    pathWithQuery: string,
    body?: unknown,
    requestOptions: RequestOptions = {},
  ): Promise<T> {
    const text = body === undefined ? undefined : JSON.stringify(body);
    const response = await send(
      method,
      pathWithQuery,
      text,
      text === undefined ? undefined : 'application/json',
      requestOptions,
    );
    return (await response.json()) as T;
  }

  async function* chatStream(request: AIRequest, requestOptions: RequestOptions = {}): AsyncGenerator<ChatStreamEvent> {
    const text = JSON.stringify(request);
    const response = await send('POST', '/ai/chat/stream', text, 'application/json', {
      signal: requestOptions.signal,
      accept: 'text/event-stream',
    });
    if (!response.body) {
      throw new ApiError(502, 'STREAM_INTERRUPTED', 'The server sent no reply stream');
    }
    let finished: ChatStreamEventData<'done'> | null = null;
    for await (const message of readSse(response.body)) {
      const name = message.event;
      if (!isStreamEventName(name)) {
        continue; // unknown events are for newer clients
      }
      let data: unknown;
      try {
        data = JSON.parse(message.data);
      } catch {
        throw new ApiError(502, 'STREAM_INTERRUPTED', `The reply stream sent an unreadable ${name} event`);
      }
      switch (name) {
        case 'meta':
          yield { type: 'meta', data: data as ChatStreamEventData<'meta'> };
          break;
        case 'delta':
          yield { type: 'delta', data: data as ChatStreamEventData<'delta'> };
          break;
        case 'done':
          // Read on to the end of the stream (the server closes it right after) instead of cancelling the body.
          finished = data as ChatStreamEventData<'done'>;
          break;
        case 'error': {
          const envelope = data as Partial<ChatStreamEventData<'error'>>;
          throw new ApiError(
            envelope.status ?? 502,
            envelope.error_code ?? 'HTTP_ERROR',
            envelope.message ?? 'The reply failed',
            envelope.details ?? {},
          );
        }
        default:
          // Every event of the contract has a case above.
          name satisfies never;
      }
    }
    if (finished !== null) {
      yield { type: 'done', data: finished };
      return;
    }
    // A stop the caller asked for is an abort, not an interrupted reply.
    requestOptions.signal?.throwIfAborted();
    throw new ApiError(502, 'STREAM_INTERRUPTED', 'The reply stream ended before the reply was complete');
  }

  return {
    health: (o?: RequestOptions) => json<Health>('GET', '/health', undefined, o),
    stats: (o?: RequestOptions) => json<Stats>('GET', '/stats', undefined, o),
    listContexts: (params: ListContextsParams = {}, o?: RequestOptions) =>
      json<ContextUnit[]>('GET', `/contexts${queryString({ ...params })}`, undefined, o),
    // The methods that put an id into the path reject (a TypeError, no request sent) for "", "." and "..".
    getContext: async (id: string, o?: RequestOptions) =>
      json<ContextUnit>('GET', `/contexts/${pathSegment(id)}`, undefined, o),
    createContext: (input: ContextUnitCreate) => json<ContextUnit>('POST', '/contexts', input),
    updateContext: async (id: string, patch: ContextUnitUpdate) =>
      json<ContextUnit>('PUT', `/contexts/${pathSegment(id)}`, patch),
    /** Replaces an active unit: returns the new unit; the old one is now superseded by it. */
    supersedeContext: async (id: string, input: SupersedeRequest) =>
      json<ContextUnit>('POST', `/contexts/${pathSegment(id)}/supersede`, input),
    async deleteContext(id: string): Promise<void> {
      await send('DELETE', `/contexts/${pathSegment(id)}`);
    },
    async exportContexts(format: 'json' | 'csv' = 'json'): Promise<{ filename: string; body: string }> {
      const response = await send('GET', `/contexts/export${queryString({ format })}`);
      const disposition = response.headers.get('content-disposition') ?? '';
      const filename = /filename=([^;]+)/.exec(disposition)?.[1] ?? `contexts.${format}`;
      return { filename, body: await response.text() };
    },
    async importContexts(
      file: { name: string; content: string | Uint8Array },
      replaceExisting = false,
    ): Promise<ImportResult> {
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

    /** One chat turn; the reply comes whole. */
    chat: (request: AIRequest, o?: RequestOptions) => json<AIResponse>('POST', '/ai/chat', request, o),
    /**
     * One chat turn streamed: yields `meta`, then `delta`s, then `done`. A failure before or during the stream is
     * thrown as ApiError; aborting `signal` stops the request (the fetch rejects with an AbortError).
     */
    chatStream,
    listConversations: (params: ConversationListParams = {}, o?: RequestOptions) =>
      json<ConversationList>('GET', `/ai/conversations${queryString({ ...params })}`, undefined, o),
    getConversation: async (id: string, o?: RequestOptions) =>
      json<ConversationDetail>('GET', `/ai/conversations/${pathSegment(id)}`, undefined, o),
    async deleteConversation(id: string): Promise<void> {
      await send('DELETE', `/ai/conversations/${pathSegment(id)}`);
    },

    listProviders: (o?: RequestOptions) => json<ProvidersResponse>('GET', '/providers', undefined, o),
    /** Checks a provider; `api_key` / `base_url` test typed values instead of the saved ones. */
    async validateProvider(
      name: string,
      input: ValidateProviderInput = {},
      o?: RequestOptions,
    ): Promise<ValidateResponse> {
      const body: { api_key?: string; base_url?: string } = {};
      if (input.api_key) {
        body.api_key = input.api_key;
      }
      if (input.base_url) {
        body.base_url = input.base_url;
      }
      return json<ValidateResponse>(
        'POST',
        `/providers/${pathSegment(name, 'provider name')}/validate${queryString({ model: input.model })}`,
        Object.keys(body).length > 0 ? body : null,
        o,
      );
    },
    getSettings: (o?: RequestOptions) => json<SettingsResponse>('GET', '/settings', undefined, o),
    /** A value sets a field, `null` clears it, a missing key leaves it alone. */
    updateSettings: (update: SettingsUpdate) => json<SettingsUpdateResponse>('POST', '/settings', update),

    securityEvents: (params: SecurityEventsParams = {}, o?: RequestOptions) =>
      json<SecurityEventList>('GET', `/security/events${queryString({ ...params })}`, undefined, o),
    rotateApiKey: () => json<RotateKeyResult>('POST', '/security/api-key/rotate'),

    /** A stored key with a name, scopes and optional expiry and networks; the answer holds the key, this once. */
    createApiKey: (input: ApiKeyCreate) => json<ApiKeyCreated>('POST', '/security/keys', input),
    /** The keys the calling key may see (an admin key: all). */
    listApiKeys: (o?: RequestOptions) => json<ApiKeyList>('GET', '/security/keys', undefined, o),
    /** Revokes a stored key at once. */
    async revokeApiKey(id: string): Promise<void> {
      await send('DELETE', `/security/keys/${pathSegment(id, 'key id')}`);
    },
    /** A new key for a stored key's grants; the previous one works for `grace_seconds` more. */
    async rotateStoredApiKey(id: string, input: ApiKeyRotate = {}): Promise<ApiKeyCreated> {
      return json<ApiKeyCreated>('POST', `/security/keys/${pathSegment(id, 'key id')}/rotate`, input);
    },

    /** Low-level access for endpoints without a helper yet. */
    request: json,
  };
}
export type ContextPilotClient = ReturnType<typeof createClient>;
