import { describe, expect, it } from 'vitest';

import { composeCompactPrompt, composeFullPrompt } from './prompt.js';

const units = [
  { type: 'fact' as const, content: 'Fact A', confidence: 0.5, tags: ['x', 'y z'] },
  { type: 'preference' as const, content: 'Pref B', confidence: 0.8, tags: [] },
  { type: 'goal' as const, content: 'Goal C', confidence: 0.79, tags: ['g'] },
];

describe('composeFullPrompt', () => {
  it('reproduces the v1 example byte for byte', () => {
    expect(composeFullPrompt('Do the task', units)).toBe(
      '# Context\n\n\n## Preferences\n- [✓] Pref B\n\n## Goals\n- [~] Goal C\n  (Tags: g)\n\n## Facts\n- [~] Fact A\n  (Tags: x, y z)\n\n# Task\n\nDo the task\n\n# Instructions\n\nPlease complete the task above, taking into account the provided context.\nAlign your response with the stated preferences, goals, and decisions.',
    );
  });

  it('returns the task unchanged when no unit is selected', () => {
    expect(composeFullPrompt('Just the task', [])).toBe('Just the task');
  });

  it('keeps ranking order inside a group and includes decisions', () => {
    const out = composeFullPrompt('t', [
      { type: 'decision', content: 'D2', confidence: 1, tags: [] },
      { type: 'decision', content: 'D1', confidence: 1, tags: [] },
    ]);
    expect(out).toBe(
      '# Context\n\n\n## Decisions\n- [✓] D2\n- [✓] D1\n\n# Task\n\nt\n\n# Instructions\n\nPlease complete the task above, taking into account the provided context.\nAlign your response with the stated preferences, goals, and decisions.',
    );
  });
});

describe('composeCompactPrompt', () => {
  it('lists contents in ranking order with a trailing newline', () => {
    expect(composeCompactPrompt('Do it', units)).toBe(
      'Given the following context about the user:\n\n• Fact A\n• Pref B\n• Goal C\n\nTask: Do it\n',
    );
  });

  it('returns the task alone without units', () => {
    expect(composeCompactPrompt('Do it', [])).toBe('Do it');
  });
});
