import { ApiError, isAbortError } from '@contextpilot/client';

/** What a failed call needs from the user: an API key, or the request-signing secret. */
export type AuthNeed = 'api-key' | 'signing';

export function authNeed(error: unknown): AuthNeed | null {
  if (!(error instanceof ApiError)) {
    return null;
  }
  if (error.status === 401) {
    return /signature/i.test(error.message) ? 'signing' : 'api-key';
  }
  if (error.status === 503 && /signing/i.test(error.message)) {
    return 'signing';
  }
  return null;
}

/** A message fit for a person, always a string (never an array or object from a response). */
export function errorMessage(error: unknown, fallback = 'Something went wrong'): string {
  if (isAbortError(error)) {
    return 'Stopped';
  }
  if (error instanceof ApiError) {
    if (error.status === 429) {
      return `${error.message}. Please wait a moment and try again.`;
    }
    return typeof error.message === 'string' && error.message !== '' ? error.message : fallback;
  }
  if (error instanceof TypeError) {
    return 'Cannot reach the ContextPilot server. Check that it is running.';
  }
  if (error instanceof Error && error.message) {
    return error.message;
  }
  return fallback;
}

/** Client errors (4xx) are not retried: the same request would fail the same way. */
export function shouldRetry(failureCount: number, error: unknown): boolean {
  if (error instanceof ApiError && error.status >= 400 && error.status < 500) {
    return false;
  }
  return failureCount < 2;
}
