/** Shortens text to `max` characters, adding an ellipsis only when something was cut. */
export function truncate(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length <= max ? flat : `${flat.slice(0, max - 1).trimEnd()}…`;
}

/** Splits "a, b ,c" into trimmed, non-empty, unique tags. */
export function parseTags(text: string): string[] {
  const out: string[] = [];
  for (const part of text.split(',')) {
    const tag = part.trim();
    if (tag && !out.includes(tag)) {
      out.push(tag);
    }
  }
  return out;
}

export const TYPE_LABELS = { preference: 'Preference', goal: 'Goal', decision: 'Decision', fact: 'Fact' } as const;
export type ContextTypeName = keyof typeof TYPE_LABELS;
export const CONTEXT_TYPE_NAMES = ['preference', 'goal', 'decision', 'fact'] as const;

export function typeLabel(type: string): string {
  return (TYPE_LABELS as Record<string, string>)[type] ?? type;
}

/** "0.85" → "85%". */
export function percent(value: number): string {
  return `${Math.round(value * 100)}%`;
}
