import { z } from 'zod';

/** Every machine-readable code the server sends in `error_code`; no other value is ever sent. */
export const ERROR_CODES = {
  http: 'HTTP_ERROR',
  validation: 'VALIDATION_ERROR',
  notFound: 'NOT_FOUND',
  methodNotAllowed: 'METHOD_NOT_ALLOWED',
  payloadTooLarge: 'PAYLOAD_TOO_LARGE',
  unsupportedMediaType: 'UNSUPPORTED_MEDIA_TYPE',
  rateLimited: 'RATE_LIMIT_EXCEEDED',
  internal: 'INTERNAL_SERVER_ERROR',
  unavailable: 'SERVICE_UNAVAILABLE',
  /** A language model provider failed (502) or timed out (504); `details.provider` names it. */
  aiService: 'AI_SERVICE_ERROR',
} as const;
export type ErrorCode = (typeof ERROR_CODES)[keyof typeof ERROR_CODES];

export const ValidationIssue = z.object({
  loc: z.array(z.union([z.string(), z.number()])),
  msg: z.string(),
  type: z.string(),
});
export type ValidationIssue = z.infer<typeof ValidationIssue>;

/** The one error body every error response uses. `detail` repeats `message` for v1 clients. */
export const ErrorEnvelope = z.object({
  error_code: z.enum(ERROR_CODES),
  message: z.string(),
  detail: z.string(),
  details: z.record(z.string(), z.unknown()),
});
export type ErrorEnvelope = z.infer<typeof ErrorEnvelope>;
