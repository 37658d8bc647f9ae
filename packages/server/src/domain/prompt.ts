import { PROMPT_TYPE_ORDER } from '@contextpilot/contract';

import type { ContextUnit } from './types.js';

type PromptUnit = Pick<ContextUnit, 'type' | 'content' | 'confidence' | 'tags'>;

const GROUP_TITLES = { preference: 'Preferences', goal: 'Goals', decision: 'Decisions', fact: 'Facts' } as const;

/** Confidence from which a unit is marked certain (✓) rather than tentative (~). */
const CERTAIN_CONFIDENCE = 0.8;

/**
 * The full prompt of API v1: units grouped by type (preference, goal, decision, fact), ranking order kept inside a
 * group, then the task and the fixed instructions. With no units the task is returned unchanged. No trailing newline.
 */
export function composeFullPrompt(task: string, units: readonly PromptUnit[]): string {
  if (units.length === 0) {
    return task;
  }
  const parts: string[] = ['# Context\n'];
  for (const type of PROMPT_TYPE_ORDER) {
    const group = units.filter((u) => u.type === type);
    if (group.length === 0) {
      continue;
    }
    parts.push(`\n## ${GROUP_TITLES[type]}`);
    for (const unit of group) {
      parts.push(`- [${unit.confidence >= CERTAIN_CONFIDENCE ? '✓' : '~'}] ${unit.content}`);
      if (unit.tags.length > 0) {
        parts.push(`  (Tags: ${unit.tags.join(', ')})`);
      }
    }
  }
  parts.push('\n# Task\n', task, '\n# Instructions\n');
  parts.push('Please complete the task above, taking into account the provided context.');
  parts.push('Align your response with the stated preferences, goals, and decisions.');
  return parts.join('\n');
}

/** The compact prompt of API v1: bullet list of contents in ranking order. Ends with a newline. */
export function composeCompactPrompt(task: string, units: readonly Pick<ContextUnit, 'content'>[]): string {
  if (units.length === 0) {
    return task;
  }
  const items = units.map((u) => `• ${u.content}`).join('\n');
  return `Given the following context about the user:\n\n${items}\n\nTask: ${task}\n`;
}
