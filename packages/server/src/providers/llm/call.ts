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

/** Messages of api-v1.md §9.3 for an HTTP status from a hosted provider. */
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

/**
 * Maps an HTTP error status to a ProviderError. 401/403, 404 and 429 are the user's to fix (`rejected`); any other 4xx
 * is a request the provider refused (`rejected` too); 5xx and anything else mean the provider failed (`unavailable`).
 * `model` is undefined for calls that name none (listing models).
 */
export function statusError(
  provider: ProviderName,
  status: number,
  raw: string,
  model: string | undefined,
  cause?: unknown,
): ProviderError {
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

/** Trailing slashes removed, so paths can be appended with one `/`. */
export function trimBaseUrl(baseUrl: string): string {
  return baseUrl.trim().replace(/\/+$/, '');
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
