import { ApiError, InvalidIdError, isAbortError } from '@contextpilot/client';
import { SIGNATURE_REPLAYED_REASON } from '@contextpilot/contract/signing';

/** The CLI's exit codes: scripts can tell a typo from a wrong key, a missing unit or a server that is down. */
export const EXIT = {
  ok: 0,
  /** The server refused or failed for another reason (conflict, rate limit, server error). */
  failure: 1,
  /** The command line or the input was invalid (the CLI's own check or the server's 400/413/415/422). */
  usage: 2,
  /** The server refused the key or the signature (401/403), or the configuration file is unsafe. */
  auth: 3,
  /** The unit, conversation or path does not exist (404). */
  notFound: 4,
  /** No answer from the server: refused connection, unknown host, reset or timeout. */
  unreachable: 5,
  /** Stopped with Ctrl-C. */
  interrupted: 130,
} as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** A failure the CLI reports as it is: its message on stderr and its exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export const usageError = (message: string) => new CliError(message, EXIT.usage);

/** The exit code of an API error, by status. */
export function exitCodeOfStatus(status: number): ExitCode {
  if (status === 401 || status === 403) {
    return EXIT.auth;
  }
  if (status === 404) {
    return EXIT.notFound;
  }
  if (status === 400 || status === 413 || status === 415 || status === 422) {
    return EXIT.usage;
  }
  return EXIT.failure;
}

/** Codes of Node's network errors that mean the server could not be reached. */
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
  'EPIPE',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_HEADERS_TIMEOUT',
]);

/** The network error code behind a failed fetch (`TypeError: fetch failed` carries it in its cause chain). */
function networkCode(error: unknown): string | null {
  for (let current = error, depth = 0; current instanceof Error && depth < 5; depth++) {
    const code = (current as Error & { code?: unknown }).code;
    if (typeof code === 'string' && UNREACHABLE_CODES.has(code)) {
      return code;
    }
    current = current.cause;
  }
  return null;
}

/** What to check after a 401: the signing secret when the signature was refused, else the key. */
function authHint(error: ApiError): string {
  if (error.status !== 401 || error.details.reason === SIGNATURE_REPLAYED_REASON) {
    return '';
  }
  return /signature|timestamp/i.test(error.message)
    ? ' (check --signing-secret, CONTEXTPILOT_REQUEST_SIGNING_SECRET or `contextpilot login`)'
    : ' (set --api-key, CONTEXTPILOT_API_KEY or run `contextpilot login`)';
}

/**
 * What to print and which code to exit with for an error a command threw. The server's message is shown as it is;
 * nothing of the request (its key, its signature) is part of any message.
 */
export function describeFailure(error: unknown, serverUrl: string | null): { message: string; exitCode: ExitCode } {
  if (error instanceof CliError) {
    return { message: error.message, exitCode: error.exitCode };
  }
  if (error instanceof InvalidIdError) {
    return { message: error.message, exitCode: EXIT.usage };
  }
  if (error instanceof ApiError) {
    return {
      message: `${error.message} (HTTP ${error.status})${authHint(error)}`,
      exitCode: exitCodeOfStatus(error.status),
    };
  }
  if (isAbortError(error)) {
    return { message: 'Interrupted', exitCode: EXIT.interrupted };
  }
  const code = networkCode(error);
  // Anything else fetch itself refuses (a port browsers block, a malformed answer) is as good as unreachable.
  const fetchFailure = error instanceof TypeError && error.message === 'fetch failed' ? error.cause : undefined;
  if (code !== null || fetchFailure !== undefined) {
    const reason = code ?? (fetchFailure instanceof Error ? fetchFailure.message : String(fetchFailure));
    return { message: `Cannot reach the server at ${serverUrl ?? 'its URL'} (${reason})`, exitCode: EXIT.unreachable };
  }
  return { message: error instanceof Error ? error.message : String(error), exitCode: EXIT.failure };
}
