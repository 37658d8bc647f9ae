import { trimBaseUrl } from '@contextpilot/contract/ai-settings';

import {
  abortedError,
  type CallControl,
  deliver,
  DeltaCallbackError,
  isRedirect,
  malformedError,
  providerFetch,
  redirectError,
  shortRaw,
  sleep,
  startCall,
  statusError,
  stoppedError,
} from './call.js';
import {
  type ChatRequest,
  type ChatResult,
  DEFAULT_MAX_REPLY_BYTES,
  type LlmProvider,
  type LlmProviderOptions,
  type ProviderConnection,
  ProviderError,
  NOT_CONFIGURED_MESSAGES,
} from './llm.js';
import { isRecord } from './sdk-errors.js';

const NOT_CONFIGURED = NOT_CONFIGURED_MESSAGES.ollama;
const DEFAULT_RETRY_DELAY_MS = 250;
const DEFAULT_PULL_TIMEOUT_MS = 600_000;
const DEFAULT_LIST_TIMEOUT_MS = 2_000;

/** `/api/chat` answered 404 for the model: it is not pulled on this server. */
class ModelMissing extends Error {}

/** How one `/api/chat` answer ended (the last NDJSON line, or the whole JSON answer). */
interface Final {
  model: string;
  finishReason: string | null;
  tokens: number;
}

/**
 * Ollama through its native HTTP API: `POST /api/chat` (JSON, or NDJSON when streaming), `GET /api/tags`,
 * `POST /api/pull`.
 *
 * Requests go through plain `fetch`, because the `ollama` package has neither timeouts nor retries. A call is bounded
 * by `connection.timeoutMs` (for a stream: the wait for each line, since loading a model and every token can be slow
 * on a local machine) and retried up to `maxRetries` times, with a doubling backoff, on connection errors, 429 and 5xx.
 * A missing model is pulled through `/api/pull` and the chat retried once when `connection.autoPull` is set.
 *
 * @throws ProviderError from `chat` and `stream`.
 */
export function createOllamaProvider(connection: ProviderConnection, options: LlmProviderOptions = {}): LlmProvider {
  const base = trimBaseUrl(connection.baseUrl);
  const { timeoutMs } = connection;
  const fetchImpl = providerFetch('ollama', options.maxReplyBytes ?? DEFAULT_MAX_REPLY_BYTES, options.fetch);
  const maxRetries = options.maxRetries ?? 2;
  const retryDelayMs = options.retryDelayMs ?? DEFAULT_RETRY_DELAY_MS;
  const connectionMessage = `Cannot connect to Ollama server at ${base}. Please ensure Ollama is installed and running. Install: https://ollama.ai | Start: 'ollama serve'`;
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    // Ollama itself ignores it; a proxy in front of it (or a hosted Ollama) may need it.
    ...(connection.apiKey === '' ? {} : { authorization: `Bearer ${connection.apiKey}` }),
  };

  /**
   * One request, retried on connection errors, 429 and 5xx. Returns the first other response (any status); throws
   * the stop reason (abort, timeout) or, after the last attempt, the connection error.
   */
  async function send(path: string, init: RequestInit, control: CallControl): Promise<Response> {
    for (let attempt = 0; ; attempt++) {
      let response: Response | undefined;
      let failure: unknown;
      try {
        response = await fetchImpl(`${base}${path}`, { ...init, headers, signal: control.signal });
      } catch (error) {
        failure = error;
      }
      const retryable = response === undefined || response.status === 429 || response.status >= 500;
      if (!retryable || attempt >= maxRetries || control.signal.aborted) {
        if (response === undefined) {
          throw (
            stoppedError('ollama', control, timeoutMs, failure) ??
            new ProviderError('ollama', 'unavailable', connectionMessage, { cause: failure })
          );
        }
        return response;
      }
      // The error body of a response we are about to retry is not needed.
      await response?.body?.cancel();
      await sleep(retryDelayMs * 2 ** attempt, control.signal).catch((error: unknown) => {
        throw stoppedError('ollama', control, timeoutMs, error) ?? error;
      });
    }
  }

  /** A non-2xx answer from `/api/chat` as a ProviderError, or ModelMissing for Ollama's "model not found". */
  async function chatFailure(response: Response, model: string): Promise<Error> {
    const raw = await response.text();
    const message = errorText(raw);
    if (response.status === 404 && /not found/i.test(message) && /model/i.test(message)) {
      return new ModelMissing(message);
    }
    // Any other 404 is a wrong base URL (Go's "404 page not found"), not a missing model.
    const named = response.status === 404 ? undefined : model;
    return statusError('ollama', response.status, shortRaw(message, [connection.apiKey]), named);
  }

  function body(request: ChatRequest, stream: boolean): Record<string, unknown> {
    const modelOptions: Record<string, number> = { num_predict: request.maxTokens };
    if (request.temperature !== null) {
      modelOptions.temperature = request.temperature;
    }
    if (request.topP !== null && request.topP !== undefined) {
      modelOptions.top_p = request.topP;
    }
    if (request.numCtx !== null && request.numCtx !== undefined) {
      modelOptions.num_ctx = request.numCtx;
    }
    const payload: Record<string, unknown> = {
      model: request.model,
      messages: [
        ...(request.system === '' ? [] : [{ role: 'system', content: request.system }]),
        ...request.messages.map((m) => ({ role: m.role, content: m.content })),
      ],
      stream,
      options: modelOptions,
    };
    if (request.keepAlive !== null && request.keepAlive !== undefined && request.keepAlive !== '') {
      payload.keep_alive = keepAliveValue(request.keepAlive);
    }
    return payload;
  }

  /** One `/api/chat` call; throws ModelMissing when the model is not pulled. */
  async function chatOnce(request: ChatRequest, onDelta: ((text: string) => void) | undefined): Promise<ChatResult> {
    const control = startCall(timeoutMs, request.signal);
    try {
      const response = await send(
        '/api/chat',
        { method: 'POST', body: JSON.stringify(body(request, onDelta !== undefined)) },
        control,
      );
      if (!response.ok) {
        throw await chatFailure(response, request.model);
      }
      if (onDelta === undefined) {
        return readAnswer(await response.text(), request.model);
      }
      return await readStream(response, control, onDelta, request.model);
    } catch (error) {
      if (error instanceof ProviderError || error instanceof ModelMissing) {
        throw error;
      }
      if (error instanceof DeltaCallbackError) {
        throw error.original;
      }
      throw (
        stoppedError('ollama', control, timeoutMs, error) ??
        new ProviderError('ollama', 'unavailable', connectionMessage, { cause: error })
      );
    } finally {
      control.dispose();
    }
  }

  /** `POST /api/pull {model, stream: false}`; resolves when Ollama reports success. */
  async function pull(model: string, signal: AbortSignal | undefined): Promise<void> {
    const control = startCall(options.pullTimeoutMs ?? DEFAULT_PULL_TIMEOUT_MS, signal);
    const failed = (cause?: unknown) =>
      new ProviderError(
        'ollama',
        'rejected',
        `Model '${model}' not found and automatic download failed. Please pull it manually: ollama pull ${model}`,
        { cause },
      );
    try {
      const response = await fetchImpl(`${base}/api/pull`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ model, stream: false }),
        signal: control.signal,
      });
      if (isRedirect(response.status)) {
        throw redirectError('ollama', response.status);
      }
      const raw = await response.text();
      const answer = parseJson(raw);
      if (!response.ok || !isRecord(answer) || answer.status !== 'success') {
        throw failed(new Error(`pull answered ${response.status}: ${shortRaw(errorText(raw), [])}`));
      }
    } catch (error) {
      if (control.aborted) {
        throw abortedError('ollama', error);
      }
      throw error instanceof ProviderError ? error : failed(error);
    } finally {
      control.dispose();
    }
  }

  async function run(request: ChatRequest, onDelta?: (text: string) => void): Promise<ChatResult> {
    if (base === '') {
      throw new ProviderError('ollama', 'configuration', NOT_CONFIGURED);
    }
    const { model } = request;
    try {
      return await chatOnce(request, onDelta);
    } catch (error) {
      if (!(error instanceof ModelMissing)) {
        throw error;
      }
      if (connection.autoPull !== true) {
        throw statusError('ollama', 404, '', model, error);
      }
    }
    await pull(model, request.signal);
    try {
      return await chatOnce(request, onDelta);
    } catch (error) {
      const reason: unknown = error instanceof ModelMissing ? statusError('ollama', 404, '', model, error) : error;
      if (!(reason instanceof ProviderError) || reason.failure === 'aborted') {
        throw reason;
      }
      throw new ProviderError(
        'ollama',
        reason.failure,
        `Model '${model}' was pulled but failed to generate response: ${reason.message}`,
        { cause: reason },
      );
    }
  }

  /** `GET /api/tags` → model names; throws what the fetch or the body threw. */
  async function tags(limitMs: number): Promise<string[]> {
    const control = startCall(limitMs);
    try {
      const response = await fetchImpl(`${base}/api/tags`, { headers, signal: control.signal });
      if (isRedirect(response.status)) {
        throw redirectError('ollama', response.status);
      }
      const raw = await response.text();
      if (!response.ok) {
        throw new Error(`HTTP ${response.status}: ${shortRaw(errorText(raw), [connection.apiKey])}`);
      }
      const answer = parseJson(raw);
      if (!isRecord(answer) || !Array.isArray(answer.models)) {
        throw new Error('the answer has no models list');
      }
      return answer.models.flatMap((m) => (isRecord(m) && typeof m.name === 'string' ? [m.name] : []));
    } catch (error) {
      throw stoppedError('ollama', control, limitMs, error) ?? error;
    } finally {
      control.dispose();
    }
  }

  return {
    name: 'ollama',

    chat(request) {
      return run(request);
    },

    stream(request, onDelta) {
      return run(request, onDelta);
    },

    /** v1's probe: the server answers its model list. The model is not checked (it may be pulled on first use). */
    async validate() {
      if (base === '') {
        return { valid: false, message: 'Ollama is not configured. Set Ollama base URL in Settings.' };
      }
      try {
        await tags(timeoutMs);
        return { valid: true, message: 'Ollama server is reachable.' };
      } catch (error) {
        const details = shortRaw(describe(error), [connection.apiKey]);
        if ((error instanceof ProviderError && error.failure === 'timeout') || isFetchFailure(error)) {
          return {
            valid: false,
            message: `Cannot connect to Ollama server. Ensure Ollama is running. Details: ${details}`,
          };
        }
        return { valid: false, message: `Ollama validation failed: ${details}` };
      }
    },

    async listModels() {
      if (base === '') {
        return null;
      }
      try {
        return await tags(options.listTimeoutMs ?? DEFAULT_LIST_TIMEOUT_MS);
      } catch {
        // Unreachable or not Ollama: the caller falls back to the catalog.
        return null;
      }
    },
  };
}

/**
 * Ollama's `keep_alive` is a duration string (`"5m"`) or a number of seconds; a bare number in a string (`"-1"`,
 * `"3600"`) fails Go's duration parser, so it is sent as a number.
 */
function keepAliveValue(value: string): string | number {
  return /^-?\d+$/.test(value.trim()) ? Number(value.trim()) : value;
}

/** Reads a non-streamed `/api/chat` answer. */
function readAnswer(raw: string, requestedModel: string): ChatResult {
  const answer = parseJson(raw);
  if (!isRecord(answer)) {
    throw malformedError('ollama', 'the body is not a JSON object');
  }
  if (typeof answer.error === 'string') {
    throw new ProviderError('ollama', 'unavailable', `Ollama API error: ${shortRaw(answer.error, [])}`);
  }
  const text = messageText(answer);
  if (text === undefined) {
    throw malformedError('ollama', 'no message in the answer');
  }
  return { text, ...final(answer, requestedModel) };
}

/** Reads NDJSON lines until one says `done: true`, passing each content piece to `onDelta`. */
async function readStream(
  response: Response,
  control: CallControl,
  onDelta: (text: string) => void,
  requestedModel: string,
): Promise<ChatResult> {
  if (response.body === null) {
    throw malformedError('ollama', 'the stream has no body');
  }
  let text = '';
  const decoder = new TextDecoder();
  const handleLine = (line: string): Final | undefined => {
    if (line.trim() === '') {
      return undefined;
    }
    const event = parseJson(line);
    if (!isRecord(event)) {
      throw malformedError('ollama', 'a stream line is not a JSON object');
    }
    if (typeof event.error === 'string') {
      throw new ProviderError('ollama', 'unavailable', `Ollama API error: ${shortRaw(event.error, [])}`);
    }
    const piece = messageText(event) ?? '';
    if (piece !== '') {
      text += piece;
      deliver(onDelta, piece);
    }
    return event.done === true ? final(event, requestedModel) : undefined;
  };
  const reader = response.body.getReader();
  // The pieces of the line not finished yet: only a new chunk is searched for a newline, so a line sent a byte at a
  // time costs linear time, not a rescan of everything before it per chunk.
  let partial: string[] = [];
  for (let next = await reader.read(); !next.done; next = await reader.read()) {
    control.touch();
    const chunk = decoder.decode(next.value, { stream: true });
    const lines = chunk.split('\n');
    const last = lines.pop() ?? '';
    for (const [i, piece] of lines.entries()) {
      const line = i === 0 ? partial.join('') + piece : piece;
      partial = [];
      const done = handleLine(line);
      if (done !== undefined) {
        return { text, ...done };
      }
    }
    partial.push(last);
  }
  const done = handleLine(partial.join('') + decoder.decode());
  if (done !== undefined) {
    return { text, ...done };
  }
  throw new ProviderError('ollama', 'unavailable', 'Ollama stream ended before the answer was complete');
}

function messageText(event: Record<string, unknown>): string | undefined {
  const message = event.message;
  return isRecord(message) && typeof message.content === 'string' ? message.content : undefined;
}

/** `prompt_eval_count + eval_count` (absent counts are 0, as v1 did), `done_reason`, the reported model. */
function final(event: Record<string, unknown>, requestedModel: string): Final {
  const count = (value: unknown) => (typeof value === 'number' && Number.isFinite(value) ? value : 0);
  return {
    model: typeof event.model === 'string' && event.model !== '' ? event.model : requestedModel,
    finishReason: typeof event.done_reason === 'string' ? event.done_reason : null,
    tokens: count(event.prompt_eval_count) + count(event.eval_count),
  };
}

function parseJson(raw: string): unknown {
  try {
    return JSON.parse(raw) as unknown;
  } catch (error) {
    throw malformedError('ollama', 'the body is not valid JSON', error);
  }
}

/** Ollama's error bodies are `{"error": "..."}`; anything else is shown as it came. */
function errorText(raw: string): string {
  try {
    const parsed: unknown = JSON.parse(raw);
    if (isRecord(parsed) && typeof parsed.error === 'string') {
      return parsed.error;
    }
  } catch {
    // Not JSON (a proxy's HTML page, Go's "404 page not found"): use the text itself.
  }
  return raw;
}

function isFetchFailure(error: unknown): boolean {
  return error instanceof TypeError;
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) {
    return String(error);
  }
  const cause = error.cause instanceof Error ? error.cause.message : '';
  return cause && !error.message.includes(cause) ? `${error.message} (${cause})` : error.message;
}
