import { ProviderError, type ProviderName } from './llm.js';

/** The name each provider goes by in messages. */
export const PROVIDER_LABELS: Record<ProviderName, string> = {
  openai: 'OpenAI',
  anthropic: 'Anthropic',
  ollama: 'Ollama',
};

/**
 * One provider call's cancellation: the caller's `signal` and our own deadline folded into one `signal` that is
 * handed to the SDK or fetch.
 *
 * The deadline is `timeoutMs` from the start. For a stream, `touch()` re-arms it on every event, so it bounds the
 * silence between events rather than the whole answer (a long reply that keeps streaming is not cut off).
 * `dispose()` stops the timer, detaches from the caller's signal and aborts our signal, which releases any response
 * body that was not read to the end.
 */
export interface CallControl {
  readonly signal: AbortSignal;
  /** The caller aborted (through `request.signal`). */
  readonly aborted: boolean;
  /** Our deadline fired before the caller aborted. */
  readonly timedOut: boolean;
  touch(): void;
  dispose(): void;
}

export function startCall(timeoutMs: number, external?: AbortSignal): CallControl {
  const controller = new AbortController();
  let timedOut = false;
  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      timedOut = true;
      controller.abort(new DOMException(`no answer within ${timeoutMs} ms`, 'TimeoutError'));
    }, timeoutMs);
  };
  const onAbort = () => {
    clearTimeout(timer);
    controller.abort(external?.reason);
  };
  if (external?.aborted) {
    controller.abort(external.reason);
  } else {
    external?.addEventListener('abort', onAbort, { once: true });
    arm();
  }
  return {
    signal: controller.signal,
    get aborted() {
      return external?.aborted === true && !timedOut;
    },
    get timedOut() {
      return timedOut;
    },
    touch() {
      if (!controller.signal.aborted) {
        arm();
      }
    },
    dispose() {
      clearTimeout(timer);
      external?.removeEventListener('abort', onAbort);
      if (!controller.signal.aborted) {
        controller.abort(new DOMException('call finished', 'AbortError'));
      }
    },
  };
}

/** `1500` → `1.5 seconds`, `1000` → `1 second`. */
export function formatSeconds(ms: number): string {
  const seconds = Number((ms / 1000).toFixed(3));
  return `${seconds} ${seconds === 1 ? 'second' : 'seconds'}`;
}

export function timeoutError(provider: ProviderName, timeoutMs: number, cause?: unknown): ProviderError {
  return new ProviderError(
    provider,
    'timeout',
    `${PROVIDER_LABELS[provider]} did not answer within ${formatSeconds(timeoutMs)}`,
    { cause },
  );
}

export function abortedError(provider: ProviderName, cause?: unknown): ProviderError {
  return new ProviderError(provider, 'aborted', `${PROVIDER_LABELS[provider]} request was aborted`, { cause });
}

export function malformedError(provider: ProviderName, detail: string, cause?: unknown): ProviderError {
  return new ProviderError(
    provider,
    'unavailable',
    `${PROVIDER_LABELS[provider]} returned a malformed response: ${detail}`,
    { cause },
  );
}

/** The timeout or abort error when the call was stopped by either, else undefined. */
export function stoppedError(provider: ProviderName, control: CallControl, timeoutMs: number, cause?: unknown) {
  if (control.aborted) {
    return abortedError(provider, cause);
  }
  if (control.timedOut) {
    return timeoutError(provider, timeoutMs, cause);
  }
  return undefined;
}

const MAX_RAW_LENGTH = 300;

/**
 * A provider's own error text made safe to show: the API key removed wherever it appears (some providers echo part
 * of it), whitespace collapsed, and cut to a few hundred characters.
 */
export function shortRaw(raw: string, secrets: readonly string[]): string {
  let text = raw.replace(/\s+/g, ' ').trim();
  for (const secret of secrets) {
    if (secret.length >= 4) {
      text = text.split(secret).join('[redacted]');
    }
  }
  return text.length > MAX_RAW_LENGTH ? `${text.slice(0, MAX_RAW_LENGTH)}…` : text;
}

/** The v1 API's messages for an HTTP status from a hosted provider (clients show them as they are). */
const STATUS_MESSAGES = {
  openai: {
    auth: 'OpenAI authentication failed. The configured API key was rejected. Please verify the key in Settings → OpenAI.',
    modelNotFound: (model: string) =>
      `OpenAI model '${model}' was not found for this account or endpoint. Select a valid OpenAI model in Settings.`,
    notFound: 'OpenAI resource was not found. Check your configured base URL and selected model.',
    rateLimit: 'OpenAI rate limit or quota exceeded. Please check usage limits and billing on your OpenAI account.',
    other: (code: number, raw: string) => `OpenAI request failed (${code}): ${raw}`,
  },
  anthropic: {
    auth: 'Anthropic authentication failed. The configured API key was rejected. Please verify the key in Settings → Anthropic.',
    modelNotFound: (model: string) =>
      `Anthropic model '${model}' was not found or is unavailable for this account. Select a valid Claude model in Settings.`,
    notFound: 'Anthropic resource was not found. Check the selected model in Settings.',
    rateLimit: 'Anthropic rate limit or quota exceeded. Please check your Anthropic usage limits and billing.',
    other: (code: number, raw: string) => `Anthropic request failed (${code}): ${raw}`,
  },
  ollama: {
    auth: 'Ollama authentication failed. The server rejected the request; check the Ollama base URL and API key in Settings.',
    modelNotFound: (model: string) => `Model '${model}' is not available in Ollama. Pull it with: ollama pull ${model}`,
    notFound: 'Ollama resource was not found. Check the Ollama base URL in Settings.',
    rateLimit: 'Ollama rate limit exceeded. Please try again later.',
    other: (code: number, raw: string) => `Ollama API error: ${code} ${raw}`,
  },
} satisfies Record<ProviderName, unknown>;

export function isRedirect(status: number): boolean {
  return status >= 300 && status < 400;
}

/** A 3xx from a provider: never followed, since the prompt (with the user's contexts) must not go anywhere else. */
export function redirectError(provider: ProviderName, status: number, cause?: unknown): ProviderError {
  const label = PROVIDER_LABELS[provider];
  return new ProviderError(
    provider,
    'unavailable',
    `${label} answered with a redirect (HTTP ${status}), which is not followed. Check the ${label} base URL.`,
    { cause },
  );
}

/**
 * Maps an HTTP error status to a ProviderError. A redirect means the provider is not where it is configured
 * (`unavailable`). 401/403, 404 and 429 are the user's to fix (`rejected`); any other 4xx is a request the provider
 * refused (`rejected` too); 5xx and anything else mean the provider failed (`unavailable`). `model` is undefined for
 * calls that name none (listing models).
 */
export function statusError(
  provider: ProviderName,
  status: number,
  raw: string,
  model: string | undefined,
  cause?: unknown,
): ProviderError {
  if (isRedirect(status)) {
    return redirectError(provider, status, cause);
  }
  const messages = STATUS_MESSAGES[provider];
  if (status === 401 || status === 403) {
    return new ProviderError(provider, 'rejected', messages.auth, { cause });
  }
  if (status === 404) {
    const message = model === undefined ? messages.notFound : messages.modelNotFound(model);
    return new ProviderError(provider, 'rejected', message, { cause });
  }
  if (status === 429) {
    return new ProviderError(provider, 'rejected', messages.rateLimit, { cause });
  }
  const failure = status >= 400 && status < 500 ? 'rejected' : 'unavailable';
  return new ProviderError(provider, failure, messages.other(status, raw || 'no details'), { cause });
}

/** Waits `ms`, or rejects as soon as `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason as Error);
      return;
    }
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason as Error);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** Thrown around an error of the caller's `onDelta`, so it is not mistaken for a provider failure. */
export class DeltaCallbackError extends Error {
  constructor(readonly original: unknown) {
    super('onDelta failed', { cause: original });
  }
}

/** Calls `onDelta`, marking anything it throws as the caller's own error. */
export function deliver(onDelta: (text: string) => void, text: string): void {
  try {
    onDelta(text);
  } catch (error) {
    throw new DeltaCallbackError(error);
  }
}

/** Bytes of a provider's error answer that are read: its message is shown cut to a few hundred characters anyway. */
const MAX_ERROR_BODY_BYTES = 64 * 1024;
/** Room for a stream event's framing (SSE or NDJSON fields) around its text. */
const STREAM_EVENT_OVERHEAD_BYTES = 64 * 1024;
/** Statuses whose responses have no body (the Response constructor refuses one). */
const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);

export function replyTooLarge(provider: ProviderName, maxReplyBytes: number): ProviderError {
  return new ProviderError(
    provider,
    'unavailable',
    `${PROVIDER_LABELS[provider]} sent a reply larger than the limit of ${maxReplyBytes} bytes.`,
  );
}

/**
 * The fetch every request to a chat provider goes through (the SDKs' and our own). It never follows a redirect: a 3xx
 * comes back as it is, for `statusError` to refuse. And it bounds what is read of an answer: an error answer is cut
 * after MAX_ERROR_BODY_BYTES; a complete answer over `maxReplyBytes` fails with `replyTooLarge`; a streamed answer
 * (SSE, NDJSON) fails the same way when one event is over `maxReplyBytes` plus room for its framing (the text of a
 * stream is limited by the chat service, which ends it with a notice).
 */
export function providerFetch(
  provider: ProviderName,
  maxReplyBytes: number,
  baseFetch: typeof fetch = globalThis.fetch,
): typeof fetch {
  return async (input, init) => {
    const response = await baseFetch(input, { ...init, redirect: 'manual' });
    if (response.body === null || NULL_BODY_STATUSES.has(response.status)) {
      return response;
    }
    const tooLarge = () => replyTooLarge(provider, maxReplyBytes);
    if (!response.ok) {
      return withBody(response, limitBytes(response.body, MAX_ERROR_BODY_BYTES, null));
    }
    const type = response.headers.get('content-type') ?? '';
    if (/text\/event-stream|ndjson/i.test(type)) {
      return withBody(response, limitLines(response.body, maxReplyBytes + STREAM_EVENT_OVERHEAD_BYTES, tooLarge));
    }
    return withBody(response, limitBytes(response.body, maxReplyBytes, tooLarge));
  };
}

function withBody(response: Response, body: ReadableStream<Uint8Array>): Response {
  return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
}

/**
 * `body` up to `maxBytes`; past that it fails with `overflow()`, or (no `overflow`) ends there. Either way the rest is
 * not read: the source is cancelled, which releases the connection.
 */
function limitBytes(
  body: ReadableStream<Uint8Array>,
  maxBytes: number,
  overflow: (() => Error) | null,
): ReadableStream<Uint8Array> {
  let seen = 0;
  return body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        const room = maxBytes - seen;
        seen += chunk.byteLength;
        if (chunk.byteLength <= room) {
          controller.enqueue(chunk);
        } else if (overflow !== null) {
          controller.error(overflow());
        } else {
          controller.enqueue(chunk.subarray(0, room));
          controller.terminate();
        }
      },
    }),
  );
}

/** `body`, failing with `overflow()` as soon as one line (the bytes between two `\n`) is longer than `maxBytes`. */
function limitLines(
  body: ReadableStream<Uint8Array>,
  maxBytes: number,
  overflow: () => Error,
): ReadableStream<Uint8Array> {
  let line = 0;
  return body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        let start = 0;
        for (let newline = chunk.indexOf(10); ; newline = chunk.indexOf(10, start)) {
          line += (newline === -1 ? chunk.byteLength : newline) - start;
          if (line > maxBytes) {
            controller.error(overflow());
            return;
          }
          if (newline === -1) {
            break;
          }
          line = 0;
          start = newline + 1;
        }
        controller.enqueue(chunk);
      },
    }),
  );
}
