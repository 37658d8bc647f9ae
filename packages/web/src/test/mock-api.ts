import type {
  AIResponse,
  ContextUnit,
  ConversationDetail,
  ConversationSummary,
  ProvidersResponse,
  SettingsResponse,
  Stats,
} from '@contextpilot/contract';
import { vi } from 'vitest';

/** One request as the mock server saw it. */
export interface MockRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: Record<string, string>;
  body: unknown;
  rawBody: string | undefined;
  signal: AbortSignal | undefined;
}

export type Handler = (request: MockRequest, params: Record<string, string>) => Response | Promise<Response>;

export const json = (body: unknown, status = 200): Response =>
  new Response(status === 204 ? null : JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json' },
  });

export const apiError = (status: number, message: string): Response =>
  json({ error_code: 'HTTP_ERROR', message, detail: message, details: {} }, status);

/** A Server-Sent Events body the test writes to step by step. */
export function sseStream(signal?: AbortSignal) {
  const encoder = new TextEncoder();
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      controller = c;
    },
  });
  signal?.addEventListener('abort', () => {
    try {
      controller.error(new DOMException('The operation was aborted.', 'AbortError'));
    } catch {
      // already closed
    }
  });
  return {
    response: new Response(body, { status: 200, headers: { 'content-type': 'text/event-stream' } }),
    send(event: string, data: unknown) {
      controller.enqueue(encoder.encode(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`));
    },
    close() {
      controller.close();
    },
  };
}

export function sseBody(events: [string, unknown][]): Response {
  const text = events.map(([event, data]) => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`).join('');
  return new Response(text, { status: 200, headers: { 'content-type': 'text/event-stream' } });
}

export const T0 = '2026-01-02T03:04:05.123Z';

export function unit(overrides: Partial<ContextUnit> = {}): ContextUnit {
  return {
    id: 'u1',
    type: 'preference',
    content: 'I like tea',
    confidence: 0.9,
    created_at: T0,
    last_used: null,
    source: 'manual',
    tags: ['drinks'],
    status: 'active',
    superseded_by: null,
    ...overrides,
  };
}

export function summary(overrides: Partial<ConversationSummary> = {}): ConversationSummary {
  return {
    id: 'c1',
    task: 'First task',
    prompt_type: 'full',
    provider: 'openai',
    model: 'gpt-4o',
    created_at: T0,
    last_message_at: T0,
    message_count: 2,
    ...overrides,
  };
}

export function conversation(overrides: Partial<ConversationDetail> = {}): ConversationDetail {
  return {
    id: 'c1',
    task: 'First task',
    prompt_type: 'full',
    provider: 'anthropic',
    model: 'claude-sonnet-4-5',
    context_ids: ['u1'],
    created_at: T0,
    last_message_at: T0,
    messages: [
      {
        id: 'm0',
        role: 'system',
        content: 'SYSTEM',
        tokens: null,
        finish_reason: null,
        model: null,
        created_at: T0,
        context_ids: null,
        task: null,
      },
      {
        id: 'm1',
        role: 'user',
        content: 'COMPOSED PROMPT',
        tokens: null,
        finish_reason: null,
        model: null,
        created_at: T0,
        context_ids: ['u1'],
        task: 'First task',
      },
      {
        id: 'm2',
        role: 'assistant',
        content: 'Earlier answer',
        tokens: 12,
        finish_reason: 'stop',
        model: 'claude-sonnet-4-5',
        created_at: T0,
        context_ids: null,
        task: null,
      },
    ],
    ...overrides,
  };
}

export function aiResponse(overrides: Partial<AIResponse> = {}): AIResponse {
  return {
    conversation_id: 'c-new',
    task: 'hello',
    response: 'Hi **there**',
    provider: 'openai',
    model: 'gpt-4o',
    context_ids: ['u1'],
    prompt_used: 'PROMPT WITH CONTEXT',
    timestamp: T0,
    contexts: [
      {
        id: 'u1',
        relevance_score: 0.82,
        score_breakdown: {
          lexical: 0.5,
          semantic: 0.9,
          fused: 0.8,
          confidence: 0.9,
          tag_bonus: 0,
          matched_tags: [],
          sequence: 0,
        },
      },
    ],
    finish_reason: 'stop',
    tokens: 20,
    ...overrides,
  };
}

export const providers: ProvidersResponse = {
  providers: [
    {
      name: 'openai',
      display_name: 'OpenAI',
      description: 'GPT models',
      requires_api_key: true,
      supports_local: false,
      homepage_url: 'https://openai.com',
      documentation_url: 'https://platform.openai.com/docs',
      configured: true,
      available_models: ['gpt-4o', 'gpt-4o-mini'],
      api_key_set: true,
      default_model: 'gpt-4o',
    },
    {
      name: 'anthropic',
      display_name: 'Anthropic',
      description: 'Claude models',
      requires_api_key: true,
      supports_local: false,
      homepage_url: 'https://anthropic.com',
      documentation_url: 'https://docs.anthropic.com',
      configured: false,
      available_models: ['claude-sonnet-4-5', 'claude-haiku-4-5'],
      api_key_set: false,
      default_model: 'claude-sonnet-4-5',
    },
    {
      name: 'ollama',
      display_name: 'Ollama (Local)',
      description: 'Local models',
      requires_api_key: false,
      supports_local: true,
      homepage_url: 'https://ollama.com',
      documentation_url: 'https://ollama.com/docs',
      configured: false,
      available_models: ['llama3.2'],
      base_url: '',
      default_model: 'llama3.2',
    },
  ],
  default_provider: 'openai',
  default_model: 'gpt-4o',
};

export const settings: SettingsResponse = {
  openai_api_key_set: true,
  openai_base_url: '',
  openai_default_model: 'gpt-4o',
  openai_temperature: 0.4,
  openai_top_p: null,
  openai_max_tokens: null,
  anthropic_api_key_set: false,
  anthropic_default_model: 'claude-sonnet-4-5',
  anthropic_temperature: null,
  anthropic_top_p: null,
  anthropic_top_k: null,
  anthropic_max_tokens: null,
  ollama_configured: false,
  ollama_base_url: '',
  ollama_default_model: 'llama3.2',
  ollama_temperature: null,
  ollama_top_p: null,
  ollama_num_predict: null,
  ollama_num_ctx: null,
  ollama_keep_alive: '',
  default_ai_provider: 'openai',
  default_ai_model: 'gpt-4o',
  ai_temperature: 0.7,
  ai_max_tokens: 2000,
};

export function stats(overrides: Partial<Stats> = {}): Stats {
  return {
    total_contexts: 1,
    active_contexts: 1,
    superseded_contexts: 0,
    contexts_by_type: { preference: 1 },
    contexts_with_embeddings: 1,
    embedding_cache: { size: 0, max_size: 0, ttl_seconds: 0 },
    response_cache: { size: 0, max_size: 0, default_ttl: 0 },
    embedding_model: { id: 'use-lite', dimension: 512 },
    ...overrides,
  };
}

const defaults: Record<string, Handler> = {
  'GET /stats': () => json(stats()),
  'GET /contexts': () => json([unit()]),
  'GET /providers': () => json(providers),
  'GET /settings': () => json(settings),
  'GET /ai/conversations': () => json({ conversations: [], limit: 50, offset: 0, count: 0 }),
  'GET /ai/conversations/:id': (_r, p) => json(conversation({ id: p.id ?? 'c1' })),
};

function match(pattern: string, method: string, path: string): Record<string, string> | null {
  const [pm, pp] = pattern.split(' ') as [string, string];
  if (pm !== method) {
    return null;
  }
  const a = pp.split('/');
  const b = path.split('/');
  if (a.length !== b.length) {
    return null;
  }
  const params: Record<string, string> = {};
  for (let i = 0; i < a.length; i++) {
    const seg = a[i]!;
    if (seg.startsWith(':')) {
      params[seg.slice(1)] = decodeURIComponent(b[i]!);
    } else if (seg !== b[i]) {
      return null;
    }
  }
  return params;
}

/** A fetch that answers from handlers keyed "METHOD /path" (":name" matches a segment); defaults cover the reads. */
export function createMockFetch(handlers: Record<string, Handler> = {}) {
  const requests: MockRequest[] = [];
  const all = { ...defaults, ...handlers };
  const fetch = vi.fn(async (input: RequestInfo | URL, init: RequestInit = {}) => {
    const url = new URL(
      typeof input === 'string' ? input : input instanceof URL ? input.href : input.url,
      'http://ui.test',
    );
    const rawBody =
      typeof init.body === 'string'
        ? init.body
        : init.body instanceof Uint8Array
          ? new TextDecoder().decode(init.body)
          : undefined;
    let body: unknown = rawBody;
    if (rawBody !== undefined) {
      try {
        body = JSON.parse(rawBody);
      } catch {
        body = rawBody;
      }
    }
    const request: MockRequest = {
      method: init.method ?? 'GET',
      path: url.pathname,
      query: url.searchParams,
      headers: (init.headers ?? {}) as Record<string, string>,
      body,
      rawBody,
      signal: init.signal ?? undefined,
    };
    requests.push(request);
    // Specific patterns first (no parameters), then parameterised ones.
    const entries = Object.entries(all).sort(([a], [b]) => Number(a.includes(':')) - Number(b.includes(':')));
    for (const [pattern, handler] of entries) {
      const params = match(pattern, request.method, request.path);
      if (params) {
        return handler(request, params);
      }
    }
    return apiError(404, `No mock for ${request.method} ${request.path}`);
  });
  return {
    fetch: fetch as unknown as typeof globalThis.fetch,
    requests,
    /** Requests to one "METHOD /path". */
    calls: (key: string) => requests.filter((r) => `${r.method} ${r.path}` === key),
  };
}
