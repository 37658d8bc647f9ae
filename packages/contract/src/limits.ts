/** Defaults of the configurable input limits (the server's configuration may change them). */
export const DEFAULT_LIMITS = {
  maxContentLength: 10_000,
  maxTagCount: 20,
  maxTagLength: 50,
  maxContextsPerRequest: 20,
} as const;

/** Hard schema bounds of API v1 that no configuration changes. */
export const SCHEMA_LIMITS = {
  /** `max_context_units` of `/generate-prompt`: 1..20. */
  maxContextUnits: 20,
  /** Upper bound on any free-text field before sanitization, in UTF-16 units (a guard, not the content limit). */
  maxRawStringLength: 200_000,
  /** `limit` of `GET /contexts` is clamped to this. */
  maxListLimit: 100_000,
  /** `limit` of `GET /ai/conversations` is clamped to this (v1 had no bound, so larger values are not refused). */
  maxConversationListLimit: 200,
} as const;

export const CONTEXT_TYPES = ['preference', 'decision', 'fact', 'goal'] as const;
export const CONTEXT_STATUSES = ['active', 'superseded'] as const;

/** Fixed rules of a context unit, shared by the request schemas and the server's unit rules. */
export const UNIT_RULES = {
  /** Confidence of a unit created or imported without one. */
  defaultConfidence: 1,
  /** Source of a unit created or imported without one, or with one that is blank once cleaned. */
  defaultSource: 'manual',
  /** Longest source, in code points once cleaned (the request schema also bounds the raw text by it). */
  maxSourceLength: 200,
} as const;
/** Order of the groups in a composed prompt. */
export const PROMPT_TYPE_ORDER = ['preference', 'goal', 'decision', 'fact'] as const;
