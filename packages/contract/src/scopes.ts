/**
 * What an API key may do (no zod here: the SDK, the MCP server and the server all read it). Each REST route and MCP
 * tool declares the one scope it needs; a key without it is refused with 403.
 */

/** Every scope a key can hold. `admin` (people and keys) implies every other one. */
export const SCOPES = [
  'contexts:read',
  'contexts:write',
  'prompts',
  'chat',
  'settings',
  'audit:read',
  'admin',
] as const;
export type Scope = (typeof SCOPES)[number];

const NAMES: ReadonlySet<string> = new Set(SCOPES);

/** True for a scope this contract names (a value read from storage, a request or a transport). */
export function isScope(value: unknown): value is Scope {
  return typeof value === 'string' && NAMES.has(value);
}

/** Whether `granted` allows what `needed` guards: the scope itself or `admin`. */
export function hasScope(granted: Iterable<Scope>, needed: Scope): boolean {
  for (const scope of granted) {
    if (scope === needed || scope === 'admin') {
      return true;
    }
  }
  return false;
}

/** The message of a refusal for a missing scope, the same over REST (403) and MCP (a tool error). */
export function missingScopeMessage(needed: Scope): string {
  return `This API key lacks the "${needed}" scope`;
}
