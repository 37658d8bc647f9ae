import type { ContextUnit, GeneratedPrompt, RankedContextUnit, Stats } from '@contextpilot/contract';

/** The short text beside each structured result, for clients that show text only. */

export function renderUnit(unit: ContextUnit): string {
  const tags = unit.tags.length > 0 ? ` [${unit.tags.join(', ')}]` : '';
  const status = unit.status === 'active' ? '' : ` (superseded by ${unit.superseded_by ?? 'a deleted unit'})`;
  return `${unit.type} ${unit.id}${status}: ${unit.content}${tags}`;
}

export function renderUnits(units: readonly ContextUnit[]): string {
  if (units.length === 0) {
    return 'No context units.';
  }
  return [
    `${units.length} context unit${units.length === 1 ? '' : 's'}:`,
    ...units.map((u) => `- ${renderUnit(u)}`),
  ].join('\n');
}

export function renderRanked(results: readonly RankedContextUnit[]): string {
  if (results.length === 0) {
    return 'No matching context units.';
  }
  return results.map((r, i) => `${i + 1}. (${r.relevance_score.toFixed(2)}) ${renderUnit(r.context_unit)}`).join('\n');
}

/** The composed prompt is the result: it is the text as is. */
export function renderPrompt(generated: GeneratedPrompt): string {
  return generated.generated_prompt;
}

export function renderStats(stats: Stats): string {
  const byType = Object.entries(stats.contexts_by_type)
    .map(([type, n]) => `${type} ${n}`)
    .join(', ');
  return `${stats.active_contexts} active context units (${stats.superseded_contexts} superseded, ${stats.total_contexts} in all)${byType ? `: ${byType}` : ''}.`;
}
