import {
  type CallControl,
  DeltaCallbackError,
  malformedError,
  PROVIDER_LABELS,
  shortRaw,
  statusError,
  stoppedError,
  timeoutError,
} from './call.js';
import { ProviderError, type ProviderName } from './llm.js';

type ErrorClass<T extends Error = Error> = abstract new (...args: never[]) => T;

/**
 * The error classes of a Stainless-generated SDK (openai, @anthropic-ai/sdk). Both have the same hierarchy: abort,
 * timeout and connection errors are APIErrors without a status, every HTTP error is an APIError with one.
 */
export interface SdkErrorClasses {
  base: ErrorClass;
  APIError: ErrorClass<Error & { status: number | undefined; error: unknown }>;
  APIConnectionError: ErrorClass;
  APIConnectionTimeoutError: ErrorClass;
  APIUserAbortError: ErrorClass;
}

/** What a failed call was doing, to pick the message. */
export interface SdkCallContext {
  provider: ProviderName;
  control: CallControl;
  timeoutMs: number;
  /** Named in a 404 message; undefined for calls without a model (listing models). */
  model: string | undefined;
  apiKey: string;
  connectionMessage: string;
}

/**
 * Translates whatever an SDK call threw into a ProviderError with the v1 API's message for its kind. The caller's abort and our deadline
 * win over the error the SDK reports for them. An error thrown by the caller's `onDelta` is rethrown unchanged, and so
 * is anything that is not a provider failure (a bug of ours should surface as one).
 */
export function mapSdkError(error: unknown, classes: SdkErrorClasses, ctx: SdkCallContext): unknown {
  if (error instanceof DeltaCallbackError) {
    return error.original;
  }
  if (error instanceof ProviderError) {
    return error;
  }
  const { provider } = ctx;
  const stopped = stoppedError(provider, ctx.control, ctx.timeoutMs, error);
  if (stopped !== undefined) {
    return stopped;
  }
  if (error instanceof classes.APIConnectionTimeoutError) {
    return timeoutError(provider, ctx.timeoutMs, error);
  }
  if (error instanceof classes.APIUserAbortError) {
    // Only our own signal reaches the SDK, and neither of its reasons applies: treat it as a dropped connection.
    return new ProviderError(provider, 'unavailable', ctx.connectionMessage, { cause: error });
  }
  if (error instanceof classes.APIConnectionError) {
    return new ProviderError(provider, 'unavailable', ctx.connectionMessage, { cause: error });
  }
  if (error instanceof classes.APIError) {
    const raw = shortRaw(rawMessage(error), [ctx.apiKey]);
    if (error.status === undefined) {
      // An error event inside a stream that had already started.
      return new ProviderError(provider, 'unavailable', `${PROVIDER_LABELS[provider]} stream failed: ${raw}`, {
        cause: error,
      });
    }
    return statusError(provider, error.status, raw, ctx.model, error);
  }
  if (error instanceof SyntaxError) {
    return malformedError(provider, 'the body is not valid JSON', error);
  }
  if (isBrokenConnection(error)) {
    // undici reports a socket closed mid-body as `TypeError: terminated`, outside the SDK's own error classes.
    return new ProviderError(provider, 'unavailable', ctx.connectionMessage, { cause: error });
  }
  if (error instanceof classes.base) {
    return new ProviderError(
      provider,
      'unavailable',
      `${PROVIDER_LABELS[provider]} request failed: ${shortRaw(error.message, [ctx.apiKey])}`,
      { cause: error },
    );
  }
  return error;
}

/** The provider's own message: `{error: {message}}` (OpenAI), `{type: 'error', error: {message}}` (Anthropic). */
function rawMessage(error: Error & { error: unknown }): string {
  const body = error.error;
  if (isRecord(body)) {
    if (typeof body.message === 'string') {
      return body.message;
    }
    if (isRecord(body.error) && typeof body.error.message === 'string') {
      return body.error.message;
    }
  }
  // The SDK's own message starts with the status code, which the formatter adds again.
  return error.message.replace(/^\d{3} /, '');
}

export function isBrokenConnection(error: unknown): boolean {
  return error instanceof TypeError && (error.message === 'terminated' || error.message === 'fetch failed');
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** One-line details for validation messages: the error's message without the key. */
export function errorDetails(error: unknown, apiKey: string): string {
  const message = error instanceof Error ? error.message : String(error);
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause.message : '';
  return shortRaw(cause && !message.includes(cause) ? `${message} (${cause})` : message, [apiKey]);
}
