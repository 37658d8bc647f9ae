import { describe, expect, it } from 'vitest';

import { ApiError, createClient, isAbortError, type ChatStreamEvent } from './client.js';
import { signRequest } from './signing.js';

interface Call {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: string | undefined;
  signal: AbortSignal | undefined;
}

function fakeFetch(respond: (call: Call) => Response | Promise<Response>) {
  const calls: Call[] = [];
  const fetch = (async (input: RequestInfo | URL, init: RequestInit = {}) => {
    const body = init.body;
    const call: Call = {
      url: typeof input === 'string' ? input : input instanceof URL ? input.href : input.url,
      method: init.method ?? 'GET',
      headers: (init.headers ?? {}) as Record<string, string>,
      body: typeof body === 'string' ? body : body instanceof Uint8Array ? new TextDecoder().decode(body) : undefined,
      signal: init.signal ?? undefined,
    };
    calls.push(call);
    return respond(call);
  }) as typeof globalThis.fetch;
  return { fetch, calls };
}

const jsonResponse = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

function sseResponse(chunks: string[], options: { hang?: boolean } = {}): Response {
  const encoder = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const c of chunks) {
        controller.enqueue(encoder.encode(c));
      }
      if (!options.hang) {
        controller.close();
      }
    },
  });
  return new Response(body, { status: 200, headers: { 'content-type': 'text/event-stream' } });
}

const aiResponse = {
  conversation_id: 'c1',
  task: 'hi',
  response: 'Hello world',
  provider: 'openai',
  model: 'gpt-4o',
  context_ids: ['u1'],
  prompt_used: 'PROMPT',
  timestamp: '2026-01-02T03:04:05.123Z',
  contexts: [],
  finish_reason: 'stop',
  tokens: 5,
};

const sse = (event: string, data: unknown) => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;

async function collect(stream: AsyncIterable<ChatStreamEvent>): Promise<ChatStreamEvent[]> {
  const out: ChatStreamEvent[] = [];
  for await (const e of stream) {
    out.push(e);
  }
  return out;
}

describe('client: conversations, providers, settings, security', () => {
  it('lists conversations with the search param and unchanged wire shape', async () => {
    const { fetch, calls } = fakeFetch(() => jsonResponse({ conversations: [], limit: 50, offset: 0, count: 0 }));
    const client = createClient({ baseUrl: '', fetch });
    const list = await client.listConversations({ search: 'tea time', limit: 20 });
    expect(list.count).toBe(0);
    expect(calls[0]?.url).toBe('/ai/conversations?search=tea+time&limit=20');
    expect(calls[0]?.method).toBe('GET');
  });

  it('gets and deletes a conversation by encoded id', async () => {
    const { fetch, calls } = fakeFetch((c) =>
      c.method === 'DELETE' ? new Response(null, { status: 204 }) : jsonResponse({ id: 'a/b' }),
    );
    const client = createClient({ baseUrl: 'http://x', fetch });
    await client.getConversation('a/b');
    await client.deleteConversation('a/b');
    expect(calls.map((c) => `${c.method} ${c.url}`)).toEqual([
      'GET http://x/ai/conversations/a%2Fb',
      'DELETE http://x/ai/conversations/a%2Fb',
    ]);
  });

  it('supersedes a unit by posting the replacement to its encoded id', async () => {
    const { fetch, calls } = fakeFetch(() => jsonResponse({ id: 'new' }, 201));
    const client = createClient({ baseUrl: 'http://x', fetch });
    expect(await client.supersedeContext('a/b', { content: 'newer', tags: ['t'] })).toEqual({ id: 'new' });
    expect(calls.map((c) => `${c.method} ${c.url} ${c.body}`)).toEqual([
      'POST http://x/contexts/a%2Fb/supersede {"content":"newer","tags":["t"]}',
    ]);
  });

  it('validates a provider with the typed key and base URL in the body', async () => {
    const { fetch, calls } = fakeFetch(() =>
      jsonResponse({ provider: 'openai', valid: true, message: 'ok', checked_model: 'gpt-4o' }),
    );
    const client = createClient({ baseUrl: '', fetch });
    await client.validateProvider('openai', { model: 'gpt-4o', api_key: 'sk-typed', base_url: 'http://gw.local/v1' });
    expect(calls[0]?.url).toBe('/providers/openai/validate?model=gpt-4o');
    expect(JSON.parse(calls[0]?.body ?? '')).toEqual({ api_key: 'sk-typed', base_url: 'http://gw.local/v1' });
  });

  it('sends a null body when validating the saved values', async () => {
    const { fetch, calls } = fakeFetch(() =>
      jsonResponse({ provider: 'ollama', valid: false, message: 'no', checked_model: 'x' }),
    );
    const client = createClient({ baseUrl: '', fetch });
    const result = await client.validateProvider('ollama');
    expect(result.valid).toBe(false);
    expect(calls[0]?.url).toBe('/providers/ollama/validate');
    expect(calls[0]?.body).toBe('null');
  });

  it('posts settings with null values kept (null clears a field)', async () => {
    const { fetch, calls } = fakeFetch(() =>
      jsonResponse({ message: 'Settings updated successfully', updated_fields: [], settings: {} }),
    );
    const client = createClient({ baseUrl: '', fetch });
    await client.updateSettings({ openai_api_key: null, ai_temperature: 0.5 });
    expect(calls[0]?.body).toBe('{"openai_api_key":null,"ai_temperature":0.5}');
    expect(calls[0]?.headers['Content-Type']).toBe('application/json');
  });

  it('reads providers, settings and security events', async () => {
    const { fetch, calls } = fakeFetch(() => jsonResponse({}));
    const client = createClient({ baseUrl: '', fetch });
    await client.listProviders();
    await client.getSettings();
    await client.securityEvents({ outcome: 'invalid_key', limit: 5 });
    expect(calls.map((c) => c.url)).toEqual([
      '/providers',
      '/settings',
      '/security/events?outcome=invalid_key&limit=5',
    ]);
  });

  it('sends X-API-Key and signs POST requests with the secret read at call time', async () => {
    const session: { key?: string } = {};
    const { fetch, calls } = fakeFetch(() => jsonResponse(aiResponse));
    const client = createClient({ baseUrl: '', fetch, apiKey: () => session.key, signingSecret: () => 's3cret' });
    await client.listProviders();
    session.key = 'k1';
    await client.chat({ task: 'hi', max_context_units: 0 });
    expect(calls[0]?.headers['X-API-Key']).toBeUndefined();
    expect(calls[0]?.headers['X-Request-Signature']).toBeUndefined();
    const post = calls[1]!;
    expect(post.headers['X-API-Key']).toBe('k1');
    const expected = await signRequest({
      secret: 's3cret',
      method: 'POST',
      pathWithQuery: '/ai/chat',
      timestamp: post.headers['X-Request-Timestamp']!,
      body: post.body,
    });
    expect(post.headers['X-Request-Signature']).toBe(expected);
  });

  it('throws ApiError with the envelope fields, falling back to detail', async () => {
    const { fetch } = fakeFetch(() =>
      jsonResponse(
        {
          error_code: 'HTTP_ERROR',
          detail: 'API key required: missing or invalid X-API-Key header',
          details: { a: 1 },
        },
        401,
      ),
    );
    const client = createClient({ baseUrl: '', fetch });
    const error = await client.getSettings().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({
      status: 401,
      errorCode: 'HTTP_ERROR',
      message: 'API key required: missing or invalid X-API-Key header',
    });
  });
});

describe('client: ids in the path', () => {
  /** A fetch that fails the test when it is called: the refusal must come before any request. */
  const noFetch = ((input: RequestInfo | URL) =>
    Promise.reject(
      new Error(`fetch was called for ${typeof input === 'string' ? input : 'url' in input ? input.url : input.href}`),
    )) as typeof globalThis.fetch;
  const client = createClient({ baseUrl: 'http://x', fetch: noFetch, apiKey: 'k', signingSecret: 's' });

  const calls: Record<string, (id: string) => Promise<unknown>> = {
    getContext: (id) => client.getContext(id),
    updateContext: (id) => client.updateContext(id, { content: 'x' }),
    supersedeContext: (id) => client.supersedeContext(id, { content: 'x' }),
    deleteContext: (id) => client.deleteContext(id),
    getConversation: (id) => client.getConversation(id),
    deleteConversation: (id) => client.deleteConversation(id),
    validateProvider: (name) => client.validateProvider(name, { api_key: 'sk-x' }),
  };

  for (const [method, call] of Object.entries(calls)) {
    for (const id of ['', '.', '..']) {
      it(`${method} rejects ${JSON.stringify(id)} with a TypeError before sending anything`, async () => {
        const error = await call(id).then(
          () => null,
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(TypeError);
        expect((error as Error).message).toBe(
          `Invalid ${method === 'validateProvider' ? 'provider name' : 'id'} ${JSON.stringify(id)}: it must be a non-empty string other than "." and ".."`,
        );
      });
    }
  }

  it('rejects a value that is not a string (a JavaScript caller) instead of sending "undefined"', async () => {
    await expect(client.getContext(undefined as unknown as string)).rejects.toThrow('Invalid id undefined');
  });

  it('encodes ids that only look like dot segments, which are plain names to the server', async () => {
    const { fetch, calls: sent } = fakeFetch((c) =>
      c.method === 'DELETE' ? new Response(null, { status: 204 }) : jsonResponse({ id: 'x' }),
    );
    const ok = createClient({ baseUrl: 'http://x', fetch });
    for (const id of ['...', '.hidden', '../etc', '%2e%2e', ' ..']) {
      await ok.getContext(id);
    }
    await ok.deleteConversation('a/..');
    await ok.validateProvider('..x');
    expect(sent.map((c) => `${c.method} ${c.url}`)).toEqual([
      'GET http://x/contexts/...',
      'GET http://x/contexts/.hidden',
      'GET http://x/contexts/..%2Fetc',
      'GET http://x/contexts/%252e%252e',
      'GET http://x/contexts/%20..',
      'DELETE http://x/ai/conversations/a%2F..',
      'POST http://x/providers/..x/validate',
    ]);
    // None of them leaves its folder once the URL is resolved.
    expect(sent.map((c) => new URL(c.url).pathname.split('/').length)).toEqual([3, 3, 3, 3, 3, 4, 4]);
  });
});

describe('client: streaming chat', () => {
  it('yields meta, deltas and done in order', async () => {
    const meta = {
      conversation_id: 'c1',
      provider: 'openai',
      model: 'gpt-4o',
      task: 'hi',
      prompt_used: 'P',
      history_dropped: 0,
      contexts: [],
    };
    const { fetch, calls } = fakeFetch(() =>
      sseResponse([
        sse('meta', meta),
        sse('delta', { text: 'Hel' }).slice(0, 10),
        sse('delta', { text: 'Hel' }).slice(10),
        sse('delta', { text: 'lo' }),
        sse('done', aiResponse),
      ]),
    );
    const client = createClient({ baseUrl: '', fetch });
    const events = await collect(client.chatStream({ task: 'hi', max_context_units: 5 }));
    expect(events.map((e) => e.type)).toEqual(['meta', 'delta', 'delta', 'done']);
    expect(events[1]).toEqual({ type: 'delta', data: { text: 'Hel' } });
    expect(calls[0]?.url).toBe('/ai/chat/stream');
    expect(calls[0]?.headers.Accept).toBe('text/event-stream');
  });

  it('skips events the contract does not name, whatever their data', async () => {
    const { fetch } = fakeFetch(() =>
      sseResponse([
        'event: usage\ndata: {not json\n\n',
        sse('delta', { text: 'a' }),
        'data: {"text":"unnamed"}\n\n',
        sse('done', aiResponse),
      ]),
    );
    const client = createClient({ baseUrl: '', fetch });
    const events = await collect(client.chatStream({ task: 'hi' }));
    expect(events).toEqual([
      { type: 'delta', data: { text: 'a' } },
      { type: 'done', data: aiResponse },
    ]);
  });

  it('throws an error event as ApiError with its status', async () => {
    const { fetch } = fakeFetch(() =>
      sseResponse([
        sse('delta', { text: 'x' }),
        sse('error', {
          error_code: 'HTTP_ERROR',
          message: 'OpenAI timed out',
          detail: 'OpenAI timed out',
          details: {},
          status: 504,
        }),
      ]),
    );
    const client = createClient({ baseUrl: '', fetch });
    const seen: string[] = [];
    const error = await (async () => {
      for await (const e of client.chatStream({ task: 'hi' })) {
        seen.push(e.type);
      }
    })().catch((e: unknown) => e);
    expect(seen).toEqual(['delta']);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 504, message: 'OpenAI timed out' });
  });

  it('throws an ordinary error response before the stream starts', async () => {
    const { fetch } = fakeFetch(() =>
      jsonResponse(
        { error_code: 'HTTP_ERROR', message: 'OpenAI API key not configured', detail: '', details: {} },
        400,
      ),
    );
    const client = createClient({ baseUrl: '', fetch });
    await expect(collect(client.chatStream({ task: 'hi' }))).rejects.toMatchObject({
      status: 400,
      message: 'OpenAI API key not configured',
    });
  });

  it('reports a stream that ends without done', async () => {
    const { fetch } = fakeFetch(() => sseResponse([sse('delta', { text: 'x' })]));
    const client = createClient({ baseUrl: '', fetch });
    await expect(collect(client.chatStream({ task: 'hi' }))).rejects.toMatchObject({ errorCode: 'STREAM_INTERRUPTED' });
  });

  it('passes the AbortSignal to fetch and stops reading when it fires', async () => {
    const controller = new AbortController();
    const { fetch, calls } = fakeFetch((call) => {
      // A stream that never ends by itself; the abort errors the body, as a real fetch does.
      const encoder = new TextEncoder();
      const body = new ReadableStream<Uint8Array>({
        start(c) {
          c.enqueue(encoder.encode(sse('delta', { text: 'partial' })));
          call.signal?.addEventListener('abort', () => c.error(call.signal?.reason));
        },
      });
      return new Response(body, { status: 200 });
    });
    const client = createClient({ baseUrl: '', fetch });
    const seen: string[] = [];
    const error = await (async () => {
      for await (const e of client.chatStream({ task: 'hi' }, { signal: controller.signal })) {
        if (e.type === 'delta') {
          seen.push(e.data.text);
          controller.abort();
        }
      }
    })().catch((e: unknown) => e);
    expect(calls[0]?.signal).toBe(controller.signal);
    expect(seen).toEqual(['partial']);
    expect(isAbortError(error)).toBe(true);
  });
});

describe('signatures are used once', () => {
  const secret = 'unit-test-secret';
  const replayed = () =>
    jsonResponse(
      { message: 'Request signature has already been used', details: { reason: 'signature_replayed' } },
      401,
    );

  it('never signs two requests alike, even the same request many times in one second', async () => {
    const { fetch, calls } = fakeFetch(() => jsonResponse({ generated_prompt: 'p' }));
    const client = createClient({ baseUrl: 'http://x', signingSecret: secret, fetch });
    const before = Math.floor(Date.now() / 1000);
    for (let i = 0; i < 10; i++) {
      await client.generatePrompt({ task: 'same' });
    }
    const signatures = calls.map((call) => call.headers['X-Request-Signature']);
    expect(new Set(signatures).size).toBe(10);
    // Timestamps stay a few seconds from now, far inside the server's window.
    for (const call of calls) {
      const timestamp = Number(call.headers['X-Request-Timestamp']);
      expect(timestamp).toBeLessThanOrEqual(Math.floor(Date.now() / 1000));
      expect(timestamp).toBeGreaterThanOrEqual(before - 15);
    }
  });

  it('signs a request refused as a replay again and sends it; other 401s are not retried', async () => {
    let answers = [replayed(), replayed(), jsonResponse({ id: 'u1' })];
    const { fetch, calls } = fakeFetch(() => answers.shift() ?? jsonResponse({}, 500));
    const client = createClient({ baseUrl: 'http://x', signingSecret: secret, fetch });
    await expect(client.createContext({ type: 'fact', content: 'x' })).resolves.toEqual({ id: 'u1' });
    expect(new Set(calls.map((call) => call.headers['X-Request-Signature'])).size).toBe(3);

    answers = [jsonResponse({ message: 'Invalid request signature' }, 401), jsonResponse({ id: 'u2' })];
    calls.length = 0;
    await expect(client.createContext({ type: 'fact', content: 'y' })).rejects.toMatchObject({ status: 401 });
    expect(calls).toHaveLength(1);
  });

  it('gives up after four new signatures are refused as replays', async () => {
    const { fetch, calls } = fakeFetch(() => replayed());
    const client = createClient({ baseUrl: 'http://x', signingSecret: secret, fetch });
    await expect(client.createContext({ type: 'fact', content: 'x' })).rejects.toMatchObject({
      status: 401,
      details: { reason: 'signature_replayed' },
    });
    expect(calls).toHaveLength(5);
  });
});
