import { afterEach, describe, expect, it, vi } from 'vitest';

import { estimateTokens } from '../src/domain/chunking.js';
import { type Embedder, EmbeddingError } from '../src/providers/embeddings/embedder.js';
import { createOllamaEmbedder } from '../src/providers/embeddings/ollama.js';
import { createOpenAiCompatibleEmbedder } from '../src/providers/embeddings/openai-compatible.js';
import {
  type EmbeddingFake,
  type FakeFailureMode,
  fakeVector,
  type RecordedRequest,
  startOllamaEmbedFake,
} from './fakes/ollama-embed-fake.js';
import { startOpenAiEmbeddingsFake } from './fakes/openai-embeddings-fake.js';

/** Every fetch a provider makes in this file goes through here: anything but the fake's origin fails the test. */
function guardedFetch(allowedOrigin: string, seen: string[]): typeof fetch {
  return (input, init) => {
    const url = input instanceof Request ? input.url : String(input);
    seen.push(url);
    if (!url.startsWith(`${allowedOrigin}/`)) {
      throw new Error(`unexpected outbound request to ${url}`);
    }
    return fetch(input, init);
  };
}

const open: EmbeddingFake[] = [];
const seenUrls: { origin: string; urls: string[] }[] = [];

afterEach(async () => {
  for (const { origin, urls } of seenUrls.splice(0)) {
    for (const url of urls) {
      expect(url.startsWith(`${origin}/`)).toBe(true);
    }
  }
  await Promise.all(open.splice(0).map((fake) => fake.close()));
  vi.restoreAllMocks();
});

/** Builds a text of `words` words in sentences of 12 words. */
function longText(words: number): string {
  const parts: string[] = [];
  for (let i = 0; i < words; i++) {
    parts.push(i % 12 === 11 ? `word${i}.` : `word${i}`);
  }
  return parts.join(' ');
}

function norm(vector: Float32Array): number {
  return Math.sqrt(vector.reduce((sum, x) => sum + x * x, 0));
}

/** What the fake would answer for `text`, normalised the way the providers must normalise it. */
function expectedVector(text: string, dimension: number): number[] {
  const raw = fakeVector(text, dimension);
  const length = Math.sqrt(raw.reduce((sum, x) => sum + x * x, 0));
  return raw.map((x) => x / length);
}

function expectClose(actual: Float32Array, expected: number[]): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((x, i) => expect(x).toBeCloseTo(expected[i] ?? Number.NaN, 5));
}

function inputsOf(request: RecordedRequest | undefined): string[] {
  const body = request?.body;
  if (typeof body === 'object' && body !== null && 'input' in body && Array.isArray(body.input)) {
    return body.input.filter((x): x is string => typeof x === 'string');
  }
  throw new Error('request has no input array');
}

async function rejection(promise: Promise<unknown>): Promise<EmbeddingError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(EmbeddingError);
  return error as EmbeddingError;
}

interface ProviderOptions {
  timeoutMs?: number;
  maxInputTokens?: number;
  retryDelaysMs?: readonly number[];
  apiKey?: string;
  dimensions?: number;
}

/** The behaviour both providers share, run once per provider. */
interface Harness {
  name: string;
  path: string;
  dimension: number;
  defaultMaxInputTokens: number;
  maxBatchInputs: number;
  start(): Promise<EmbeddingFake>;
  create(baseUrl: string, fetchImpl: typeof fetch | undefined, options?: ProviderOptions): Embedder;
}

const harnesses: Harness[] = [
  {
    name: 'Ollama',
    path: '/api/embed',
    dimension: 8,
    defaultMaxInputTokens: 512,
    maxBatchInputs: 64,
    start: () => startOllamaEmbedFake({ dimension: 8, model: 'nomic-embed-text' }),
    create: (baseUrl, fetchImpl, options = {}) =>
      createOllamaEmbedder({
        baseUrl,
        model: 'nomic-embed-text',
        timeoutMs: 5000,
        retryDelaysMs: [5, 10],
        fetch: fetchImpl,
        ...options,
      }),
  },
  {
    name: 'OpenAI-compatible',
    path: '/v1/embeddings',
    dimension: 12,
    defaultMaxInputTokens: 8000,
    maxBatchInputs: 256,
    start: () => startOpenAiEmbeddingsFake({ dimension: 12 }),
    create: (baseUrl, fetchImpl, options = {}) =>
      createOpenAiCompatibleEmbedder({
        baseUrl,
        model: 'text-embedding-3-small',
        timeoutMs: 5000,
        retryDelaysMs: [5, 10],
        fetch: fetchImpl,
        ...options,
      }),
  },
];

describe.each(harnesses)('$name embedder', (harness) => {
  /** A started fake and an embedder whose every fetch is checked against the fake's origin. */
  async function setup(options?: ProviderOptions): Promise<{ fake: EmbeddingFake; embedder: Embedder }> {
    const fake = await harness.start();
    open.push(fake);
    const urls: string[] = [];
    seenUrls.push({ origin: fake.url, urls });
    return { fake, embedder: harness.create(fake.url, guardedFetch(fake.url, urls), options) };
  }

  async function ready(options?: ProviderOptions): Promise<{ fake: EmbeddingFake; embedder: Embedder }> {
    const pair = await setup(options);
    await pair.embedder.init();
    pair.fake.requests.length = 0;
    return pair;
  }

  it('discovers the dimension in init with one probe request', async () => {
    const { fake, embedder } = await setup();
    expect(embedder.dimension).toBe(0);
    await embedder.init();
    expect(embedder.dimension).toBe(harness.dimension);
    expect(fake.requests).toHaveLength(1);
    expect(inputsOf(fake.requests[0])).toHaveLength(1);
  });

  it('refuses to embed before init, without a request', async () => {
    const { fake, embedder } = await setup();
    const error = await rejection(embedder.embedQuery('hello'));
    expect(error.message).toContain('init');
    expect(fake.requests).toHaveLength(0);
  });

  it('posts JSON with the model and an input array to the provider path', async () => {
    const { fake, embedder } = await ready();
    await embedder.embedDocuments(['first note', 'second note']);
    expect(fake.requests).toHaveLength(1);
    const [request] = fake.requests;
    expect(request?.method).toBe('POST');
    expect(request?.path).toBe(harness.path);
    expect(request?.headers['content-type']).toBe('application/json');
    expect(request?.body).toMatchObject({ input: ['first note', 'second note'] });
    expect(typeof (request?.body as { model?: unknown }).model).toBe('string');
  });

  it('returns unit-length vectors that match the model output', async () => {
    const { embedder } = await ready();
    const [vectors] = await embedder.embedDocuments(['a short note']);
    expect(vectors).toHaveLength(1);
    const vector = vectors?.[0] ?? new Float32Array();
    expect(norm(vector)).toBeCloseTo(1, 6);
    expectClose(vector, expectedVector('a short note', harness.dimension));
  });

  it('embedQuery returns one normalised vector of the discovered dimension', async () => {
    const { fake, embedder } = await ready();
    const vector = await embedder.embedQuery('what did the dentist say');
    expect(vector).toBeInstanceOf(Float32Array);
    expect(vector.length).toBe(harness.dimension);
    expect(norm(vector)).toBeCloseTo(1, 6);
    expect(inputsOf(fake.requests[0])).toEqual(['what did the dentist say']);
  });

  it('truncates an over-long query to the token budget instead of failing', async () => {
    const { fake, embedder } = await ready({ maxInputTokens: 100 });
    const vector = await embedder.embedQuery(longText(500));
    expect(vector.length).toBe(harness.dimension);
    const inputs = inputsOf(fake.requests[0]);
    expect(inputs).toHaveLength(1);
    expect(estimateTokens(inputs[0] ?? '')).toBeLessThanOrEqual(100);
  });

  it('splits a 3000-word document into chunks within the token budget, one vector each', async () => {
    const budget = Math.min(harness.defaultMaxInputTokens, 1000);
    const { fake, embedder } = await ready({ maxInputTokens: budget });
    const [vectors] = await embedder.embedDocuments([longText(3000)]);
    expect(vectors?.length).toBeGreaterThan(3);
    const inputs = fake.requests.flatMap(inputsOf);
    expect(inputs).toHaveLength(vectors?.length ?? -1);
    for (const input of inputs) {
      expect(estimateTokens(input)).toBeLessThanOrEqual(budget);
    }
    for (const vector of vectors ?? []) {
      expect(norm(vector)).toBeCloseTo(1, 6);
    }
  });

  it(`chunks to ${harness.defaultMaxInputTokens} estimated tokens by default`, async () => {
    const { fake, embedder } = await ready();
    const words = Math.ceil((harness.defaultMaxInputTokens * 1.5) / 1.35);
    const [vectors] = await embedder.embedDocuments([longText(words)]);
    expect(vectors).toHaveLength(2);
    for (const input of fake.requests.flatMap(inputsOf)) {
      expect(estimateTokens(input)).toBeLessThanOrEqual(harness.defaultMaxInputTokens);
    }
  });

  it(`batches many short texts at most ${harness.maxBatchInputs} per request and keeps their order`, async () => {
    const { fake, embedder } = await ready();
    const count = harness.maxBatchInputs + 36;
    const texts = Array.from({ length: count }, (_, i) => `short note number ${i}`);
    const results = await embedder.embedDocuments(texts);
    expect(fake.requests).toHaveLength(2);
    expect(fake.requests.map((r) => inputsOf(r).length)).toEqual([harness.maxBatchInputs, 36]);
    expect(results).toHaveLength(count);
    results.forEach((vectors, i) => {
      expect(vectors).toHaveLength(1);
      expectClose(vectors[0] ?? new Float32Array(), expectedVector(texts[i] ?? '', harness.dimension));
    });
  });

  it('gives each document its own chunk vectors when long and short documents share a batch', async () => {
    const { embedder } = await ready({ maxInputTokens: 100 });
    const results = await embedder.embedDocuments(['tiny', longText(300), 'also tiny']);
    expect(results.map((v) => v.length)).toEqual([1, expect.any(Number) as number, 1]);
    expect(results[1]?.length).toBeGreaterThan(1);
    expectClose(results[2]?.[0] ?? new Float32Array(), expectedVector('also tiny', harness.dimension));
  });

  it('returns no vectors and sends nothing for an empty list', async () => {
    const { fake, embedder } = await ready();
    await expect(embedder.embedDocuments([])).resolves.toEqual([]);
    expect(fake.requests).toHaveLength(0);
  });

  it('rejects empty or blank text before any request', async () => {
    const { fake, embedder } = await ready();
    await rejection(embedder.embedDocuments(['fine', '   ']));
    await rejection(embedder.embedDocuments(['']));
    await rejection(embedder.embedQuery(' \n'));
    expect(fake.requests).toHaveLength(0);
  });

  it.each([500, 429] as const)('retries after HTTP %i and then succeeds', async (status) => {
    const { fake, embedder } = await ready();
    fake.failNext(status, 2);
    const vector = await embedder.embedQuery('retry me');
    expect(vector.length).toBe(harness.dimension);
    expect(fake.requests).toHaveLength(3);
  });

  it('retries with the default backoff when none is configured', async () => {
    const { fake, embedder } = await ready({ retryDelaysMs: undefined });
    fake.failNext(503);
    await embedder.embedQuery('retry me');
    expect(fake.requests).toHaveLength(2);
  });

  it('gives up after two retries and names the provider and status', async () => {
    const { fake, embedder } = await ready();
    fake.failNext(500, 3);
    const error = await rejection(embedder.embedQuery('always failing'));
    expect(error.message).toContain(harness.name);
    expect(error.message).toContain('500');
    expect(fake.requests).toHaveLength(3);
  });

  it('retries a dropped connection', async () => {
    const { fake, embedder } = await ready();
    fake.failNext('disconnect');
    await embedder.embedQuery('flaky network');
    expect(fake.requests).toHaveLength(2);
  });

  it('reports a refused connection as an EmbeddingError after retrying', async () => {
    const fake = await harness.start();
    const url = fake.url;
    await fake.close();
    const urls: string[] = [];
    seenUrls.push({ origin: url, urls });
    const embedder = harness.create(url, guardedFetch(url, urls));
    const error = await rejection(embedder.init());
    expect(error.message).toContain(harness.name);
    expect(error.message).toContain('ECONNREFUSED');
    expect(urls).toHaveLength(3);
  });

  it('does not retry HTTP 401 and says 401 without quoting the input', async () => {
    const { fake, embedder } = await ready();
    fake.failNext(401);
    const error = await rejection(embedder.embedQuery('private diary entry'));
    expect(error.message).toContain('401');
    expect(error.message).toContain(harness.name);
    expect(error.message).not.toContain('private diary entry');
    expect(fake.requests).toHaveLength(1);
  });

  it('never follows a redirect: the texts go nowhere else', async () => {
    const target = await harness.start();
    open.push(target);
    const { fake, embedder } = await ready();
    fake.failNext({ redirect: 307, location: `${target.url}${harness.path}` });
    const error = await rejection(embedder.embedQuery('private diary entry'));
    expect(error.message).toBe(
      `${harness.name} embedding endpoint answered with a redirect (HTTP 307), which is not followed; check its base URL`,
    );
    expect(target.requests).toHaveLength(0);
    expect(fake.requests).toHaveLength(1);
  });

  it('times out a hanging request with an EmbeddingError and does not retry it', async () => {
    const { fake, embedder } = await ready({ timeoutMs: 150 });
    fake.failNext('hang');
    const error = await rejection(embedder.embedQuery('slow'));
    expect(error.message).toContain('timed out');
    expect(fake.requests).toHaveLength(1);
  });

  it('gives up at once when its caller aborts during the wait before a retry', async () => {
    const { fake, embedder } = await ready({ retryDelaysMs: [60_000] });
    fake.failNext(500, 2);
    const controller = new AbortController();
    const pending = rejection(embedder.embedDocuments(['the client goes away'], { signal: controller.signal }));
    await vi.waitFor(() => expect(fake.requests).toHaveLength(1));
    controller.abort(new Error('client gone'));
    expect(await pending).toBeInstanceOf(EmbeddingError);
    expect(fake.requests).toHaveLength(1);
  });

  it('gives a hanging request up when its caller aborts, without a retry', async () => {
    const { fake, embedder } = await ready({ timeoutMs: 60_000 });
    fake.failNext('hang', 3);
    const controller = new AbortController();
    const pending = rejection(embedder.embedDocuments(['the client goes away'], { signal: controller.signal }));
    await vi.waitFor(() => expect(fake.requests).toHaveLength(1));
    controller.abort(new Error('client gone'));
    expect(await pending).toBeInstanceOf(EmbeddingError);
    expect(fake.requests).toHaveLength(1);
  });

  it.each<FakeFailureMode>(['malformed-json', 'ragged', 'wrong-count', 'non-numeric'])(
    'turns a %s response into an EmbeddingError',
    async (mode) => {
      const { fake, embedder } = await ready();
      fake.failNext(mode);
      const error = await rejection(embedder.embedDocuments(['one', 'two', 'three']));
      expect(error.message).toContain(harness.name);
      expect(fake.requests).toHaveLength(1);
    },
  );

  it('rejects a vector whose dimension differs from the one found by init', async () => {
    const { fake, embedder } = await ready();
    // With one input, "ragged" means a single vector one shorter than before.
    fake.failNext('ragged');
    const error = await rejection(embedder.embedQuery('changed model'));
    expect(error.message).toContain('dimension');
  });

  it('fails init when the probe answer is malformed', async () => {
    const { fake, embedder } = await setup();
    fake.failNext('malformed-json');
    await rejection(embedder.init());
    expect(embedder.dimension).toBe(0);
  });

  it('accepts a base URL with a trailing slash', async () => {
    const fake = await harness.start();
    open.push(fake);
    const urls: string[] = [];
    seenUrls.push({ origin: fake.url, urls });
    const embedder = harness.create(`${fake.url}/`, guardedFetch(fake.url, urls));
    await embedder.init();
    expect(fake.requests[0]?.path).toBe(harness.path);
  });

  it('uses the global fetch by default and only calls the configured base URL', async () => {
    const fake = await harness.start();
    open.push(fake);
    const spy = vi.spyOn(globalThis, 'fetch');
    const embedder = harness.create(fake.url, undefined);
    await embedder.init();
    await embedder.embedDocuments(['a', 'b']);
    expect(spy).toHaveBeenCalledTimes(2);
    for (const [input] of spy.mock.calls) {
      expect(input instanceof Request ? input.url : input.toString()).toBe(`${fake.url}${harness.path}`);
    }
    expect(fake.requests).toHaveLength(2);
  });
});

describe('Ollama embedder specifics', () => {
  it('sends truncate: true and names the model in the model id', async () => {
    const fake = await startOllamaEmbedFake({ dimension: 4 });
    open.push(fake);
    const urls: string[] = [];
    seenUrls.push({ origin: fake.url, urls });
    const embedder = createOllamaEmbedder({
      baseUrl: fake.url,
      model: 'mxbai-embed-large',
      timeoutMs: 5000,
      fetch: guardedFetch(fake.url, urls),
    });
    expect(embedder.modelId).toBe('ollama/mxbai-embed-large');
    await embedder.init();
    expect(fake.requests[0]?.body).toEqual({
      model: 'mxbai-embed-large',
      input: ['ContextPilot embedding probe'],
      truncate: true,
    });
    expect(fake.requests[0]?.headers.authorization).toBeUndefined();
  });

  it('fails init with the 404 status when the model is not pulled', async () => {
    const fake = await startOllamaEmbedFake({ model: 'nomic-embed-text' });
    open.push(fake);
    const urls: string[] = [];
    seenUrls.push({ origin: fake.url, urls });
    const embedder = createOllamaEmbedder({
      baseUrl: fake.url,
      model: 'missing-model',
      timeoutMs: 5000,
      fetch: guardedFetch(fake.url, urls),
    });
    const error = await rejection(embedder.init());
    expect(error.message).toContain('Ollama');
    expect(error.message).toContain('404');
    expect(fake.requests).toHaveLength(1);
  });
});

describe('OpenAI-compatible embedder specifics', () => {
  async function openAi(
    fakeOptions: Parameters<typeof startOpenAiEmbeddingsFake>[0],
    options: Partial<Parameters<typeof createOpenAiCompatibleEmbedder>[0]> & { baseUrlSuffix?: string } = {},
  ): Promise<{ fake: EmbeddingFake; embedder: Embedder }> {
    const fake = await startOpenAiEmbeddingsFake(fakeOptions);
    open.push(fake);
    const urls: string[] = [];
    seenUrls.push({ origin: fake.url, urls });
    const { baseUrlSuffix = '', ...rest } = options;
    const embedder = createOpenAiCompatibleEmbedder({
      baseUrl: `${fake.url}${baseUrlSuffix}`,
      model: 'text-embedding-3-small',
      timeoutMs: 5000,
      retryDelaysMs: [5, 10],
      fetch: guardedFetch(fake.url, urls),
      ...rest,
    });
    return { fake, embedder };
  }

  it('sends the bearer key only when one is configured', async () => {
    const withKey = await openAi({ apiKey: 'sk-test-123' }, { apiKey: 'sk-test-123' });
    await withKey.embedder.init();
    expect(withKey.fake.requests[0]?.headers.authorization).toBe('Bearer sk-test-123');

    const withoutKey = await openAi({});
    await withoutKey.embedder.init();
    expect(withoutKey.fake.requests[0]?.headers).not.toHaveProperty('authorization');
  });

  it('fails with 401 on a wrong key, without retrying or quoting the key', async () => {
    const { fake, embedder } = await openAi({ apiKey: 'sk-right' }, { apiKey: 'sk-wrong-secret' });
    const error = await rejection(embedder.init());
    expect(error.message).toContain('401');
    expect(error.message).not.toContain('sk-wrong-secret');
    expect(fake.requests).toHaveLength(1);
  });

  it('does not double /v1 when the base URL already ends with it', async () => {
    for (const suffix of ['/v1', '/v1/']) {
      const { fake, embedder } = await openAi({}, { baseUrlSuffix: suffix });
      await embedder.init();
      expect(fake.requests[0]?.path).toBe('/v1/embeddings');
    }
  });

  it('sends dimensions when set, checks them and puts them in the model id', async () => {
    const { fake, embedder } = await openAi({}, { dimensions: 6 });
    expect(embedder.modelId).toBe('openai-compatible/text-embedding-3-small@6');
    await embedder.init();
    expect(embedder.dimension).toBe(6);
    expect(fake.requests[0]?.body).toEqual({
      model: 'text-embedding-3-small',
      input: ['ContextPilot embedding probe'],
      dimensions: 6,
    });
  });

  it('omits dimensions from the body and the model id when not set', async () => {
    const { fake, embedder } = await openAi({});
    expect(embedder.modelId).toBe('openai-compatible/text-embedding-3-small');
    await embedder.init();
    expect(fake.requests[0]?.body).toEqual({
      model: 'text-embedding-3-small',
      input: ['ContextPilot embedding probe'],
    });
  });

  it('fails init when the server ignores the requested dimensions', async () => {
    const fake = await startOpenAiEmbeddingsFake({ dimension: 12 });
    open.push(fake);
    const urls: string[] = [];
    seenUrls.push({ origin: fake.url, urls });
    // A server that drops `dimensions` from the body, as some compatible servers do.
    const dropDimensions: typeof fetch = (input, init) => {
      const body = JSON.parse(typeof init?.body === 'string' ? init.body : '') as Record<string, unknown>;
      delete body.dimensions;
      return guardedFetch(fake.url, urls)(input, { ...init, body: JSON.stringify(body) });
    };
    const embedder = createOpenAiCompatibleEmbedder({
      baseUrl: fake.url,
      model: 'm',
      timeoutMs: 5000,
      dimensions: 6,
      fetch: dropDimensions,
    });
    const error = await rejection(embedder.init());
    expect(error.message).toContain('dimension');
  });

  it('orders vectors by index even when data comes back out of order', async () => {
    const { embedder } = await openAi({ reverseOrder: true, dimension: 5 });
    await embedder.init();
    const texts = ['alpha', 'beta', 'gamma', 'delta'];
    const results = await embedder.embedDocuments(texts);
    results.forEach((vectors, i) => expectClose(vectors[0] ?? new Float32Array(), expectedVector(texts[i] ?? '', 5)));
  });

  it.each([
    [
      'a duplicated index',
      {
        data: [
          { index: 0, embedding: [1, 2] },
          { index: 0, embedding: [3, 4] },
        ],
      },
    ],
    [
      'an index out of range',
      {
        data: [
          { index: 0, embedding: [1, 2] },
          { index: 5, embedding: [3, 4] },
        ],
      },
    ],
    ['no data array', { embeddings: [[1, 2]] }],
    ['an item without an embedding', { data: [{ index: 0 }, { index: 1, embedding: [3, 4] }] }],
  ])('turns a response with %s into an EmbeddingError', async (_label, broken) => {
    // No server: the first answer (the probe) is valid, every later one is the broken body.
    const answers = [{ data: [{ index: 0, embedding: [1, 2] }] }];
    const canned: typeof fetch = () =>
      Promise.resolve(
        new Response(JSON.stringify(answers.shift() ?? broken), {
          status: 200,
          headers: { 'content-type': 'application/json' },
        }),
      );
    const embedder = createOpenAiCompatibleEmbedder({
      baseUrl: 'http://127.0.0.1:9',
      model: 'm',
      timeoutMs: 5000,
      fetch: canned,
    });
    await embedder.init();
    await rejection(embedder.embedDocuments(['first', 'second']));
  });
});
