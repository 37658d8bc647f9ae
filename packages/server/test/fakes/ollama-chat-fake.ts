import {
  type ChatFake,
  type ChatFakeOptions,
  type ChatProtocol,
  FAKE_INPUT_TOKENS,
  type FakeAnswer,
  field,
  startChatFake,
} from './openai-chat-fake.js';

export type { ChatFake, ChatFailureMode, RecordedChatRequest } from './openai-chat-fake.js';

export interface OllamaChatFakeOptions extends ChatFakeOptions {
  /** Models pulled on the server. Default `['llama3.2:latest']`. */
  installed?: string[];
  /** Models `/api/pull` can fetch; others fail like a missing manifest. Default: any. */
  pullable?: string[];
  /** Whether a successful pull makes the model usable. Default true. */
  pullInstalls?: boolean;
}

/** Ollama names without a tag mean `:latest`. */
function canonical(model: string): string {
  return model.includes(':') ? model : `${model}:latest`;
}

function ollamaError(status: number, message: string): FakeAnswer {
  return { kind: 'json', status, body: { error: message } };
}

const CREATED_AT = '2026-01-02T03:04:05.123456789Z';

/**
 * A loopback Ollama speaking its native API: `POST /api/chat` (JSON with `stream: false`, NDJSON otherwise, since
 * Ollama streams by default), `GET /api/tags`, `POST /api/pull`. A chat for a model that is not installed gets
 * Ollama's 404 "model … not found, try pulling it first"; a pull installs it. Unknown paths get Go's plain-text 404.
 */
export function startOllamaChatFake(options: OllamaChatFakeOptions = {}): Promise<ChatFake> {
  const installed = new Set((options.installed ?? ['llama3.2:latest']).map(canonical));
  const pullable = options.pullable === undefined ? undefined : new Set(options.pullable.map(canonical));

  const protocol: ChatProtocol = {
    authorised: (request, apiKey) => request.headers.authorization === `Bearer ${apiKey}`,

    handle(request, script) {
      if (request.method === 'GET' && request.path === '/api/tags') {
        return {
          kind: 'json',
          status: 200,
          body: {
            models: [...installed].map((name) => ({
              name,
              model: name,
              modified_at: CREATED_AT,
              size: 2_019_393_189,
              digest: 'a80c4f17acd55265feec403c7aef86be0c25983ab279d83f3bcd3abbcb5b8b72',
              details: {
                format: 'gguf',
                family: 'llama',
                families: ['llama'],
                parameter_size: '3.2B',
                quantization_level: 'Q4_K_M',
              },
            })),
          },
        };
      }
      if (request.method === 'POST' && request.path === '/api/pull') {
        return pull(request);
      }
      if (request.method !== 'POST' || request.path !== '/api/chat') {
        return { kind: 'text', status: 404, contentType: 'text/plain', text: '404 page not found' };
      }
      const body = request.body;
      const model = field(body, 'model');
      if (typeof model !== 'string' || model === '') {
        return ollamaError(400, 'model is required');
      }
      if (!Array.isArray(field(body, 'messages'))) {
        return ollamaError(400, 'messages is required');
      }
      if (!installed.has(canonical(model))) {
        return ollamaError(404, `model "${model}" not found, try pulling it first`);
      }
      const answerModel = script.model ?? model;
      const finish = {
        done_reason: script.finishReason ?? 'stop',
        done: true,
        total_duration: 4_883_583_458,
        load_duration: 1_334_875,
        prompt_eval_count: script.usage?.input ?? FAKE_INPUT_TOKENS,
        prompt_eval_duration: 342_546_000,
        eval_count: script.usage?.output ?? script.deltas.length,
        eval_duration: 4_535_599_000,
      };
      if (field(body, 'stream') === false) {
        return {
          kind: 'json',
          status: 200,
          body: {
            model: answerModel,
            created_at: CREATED_AT,
            message: { role: 'assistant', content: script.deltas.join('') },
            ...finish,
          },
        };
      }
      const line = (value: unknown) => `${JSON.stringify(value)}\n`;
      return {
        kind: 'stream',
        contentType: 'application/x-ndjson',
        frames: [
          ...script.deltas.map((content) =>
            line({ model: answerModel, created_at: CREATED_AT, message: { role: 'assistant', content }, done: false }),
          ),
          line({ model: answerModel, created_at: CREATED_AT, message: { role: 'assistant', content: '' }, ...finish }),
        ],
      };
    },

    error(status, request) {
      switch (status) {
        case 401:
          return ollamaError(401, 'unauthorized');
        case 403:
          return ollamaError(403, 'forbidden');
        case 404:
          return ollamaError(404, `model "${String(field(request.body, 'model'))}" not found, try pulling it first`);
        case 429:
          return ollamaError(429, 'too many requests');
        case 503:
          return ollamaError(503, 'server busy, please try again.  maximum pending requests exceeded');
        default:
          return ollamaError(status, 'llama runner process has terminated: exit status 2');
      }
    },

    malformed(request) {
      if (field(request.body, 'stream') !== false && request.path === '/api/chat') {
        return {
          kind: 'stream',
          contentType: 'application/x-ndjson',
          frames: [
            `${JSON.stringify({ model: 'x', created_at: CREATED_AT, message: { role: 'assistant', content: 'Hel' }, done: false })}\n`,
            '{"model": "x", "message": {"content": \n',
          ],
        };
      }
      return { kind: 'text', status: 200, contentType: 'application/json', text: '{"model": "x", "message": {' };
    },
  };

  function pull(request: { body: unknown }): FakeAnswer {
    const model = field(request.body, 'model') ?? field(request.body, 'name');
    if (typeof model !== 'string' || model === '') {
      return ollamaError(400, 'model is required');
    }
    if (pullable !== undefined && !pullable.has(canonical(model))) {
      return ollamaError(500, 'pull model manifest: file does not exist');
    }
    if (options.pullInstalls !== false) {
      installed.add(canonical(model));
    }
    if (field(request.body, 'stream') === false) {
      return { kind: 'json', status: 200, body: { status: 'success' } };
    }
    return {
      kind: 'stream',
      contentType: 'application/x-ndjson',
      frames: ['pulling manifest', 'verifying sha256 digest', 'writing manifest', 'success'].map(
        (status) => `${JSON.stringify({ status })}\n`,
      ),
    };
  }

  return startChatFake(protocol, options);
}
