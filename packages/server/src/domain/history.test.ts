import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { estimateMessageTokens, trimHistory, type HistoryMessage } from './history.js';

const turn = (n: number, size: number): HistoryMessage[] => [
  { role: 'user', content: `q${n}`.padEnd(size, '.') },
  { role: 'assistant', content: `a${n}`.padEnd(size, '.') },
];

describe('estimateMessageTokens', () => {
  it('counts a token per 4 characters, rounded up, plus 4 per message', () => {
    expect(estimateMessageTokens('')).toBe(4);
    expect(estimateMessageTokens('abcd')).toBe(5);
    expect(estimateMessageTokens('abcde')).toBe(6);
    expect(estimateMessageTokens('x'.repeat(400))).toBe(104);
  });
});

describe('trimHistory', () => {
  // System 'sys' = 5, new turn 'new' = 5, each 400-char message = 104 tokens.
  const history = [...turn(1, 400), ...turn(2, 400), ...turn(3, 400)];

  it('keeps everything that fits', () => {
    const out = trimHistory({ system: 'sys', history, newTurn: 'new', contextWindow: 10_000, replyTokens: 100 });
    expect(out).toEqual({ kept: history, dropped: 0 });
  });

  it('drops the oldest messages first, keeping the most recent whole turns', () => {
    // Budget: 530 - 5 - 5 - 100 = 420 → four messages of 104 (416) fit.
    const out = trimHistory({ system: 'sys', history, newTurn: 'new', contextWindow: 530, replyTokens: 100 });
    expect(out.kept).toEqual(history.slice(2));
    expect(out.dropped).toBe(2);
  });

  it('never starts with an assistant reply whose question was dropped', () => {
    // Budget: 425 - 110 = 315 → three messages (a2, q3, a3) would fit; a2 is dropped with its question.
    const out = trimHistory({ system: 'sys', history, newTurn: 'new', contextWindow: 425, replyTokens: 100 });
    expect(out.kept).toEqual(history.slice(4));
    expect(out.dropped).toBe(4);
  });

  it('sends no history when the new turn and reply budget fill the window', () => {
    const out = trimHistory({
      system: 'sys',
      history,
      newTurn: 'x'.repeat(4000),
      contextWindow: 1000,
      replyTokens: 100,
    });
    expect(out).toEqual({ kept: [], dropped: 6 });
  });

  it('always keeps a suffix of the history that starts with a user turn and fits the window', () => {
    const message = fc.record({
      role: fc.constantFrom('user' as const, 'assistant' as const),
      content: fc.string({ maxLength: 300 }),
    });
    fc.assert(
      fc.property(
        fc.array(message, { maxLength: 30 }),
        fc.string({ maxLength: 500 }),
        fc.integer({ min: 0, max: 5000 }),
        fc.integer({ min: 1, max: 2000 }),
        (messages, newTurn, contextWindow, replyTokens) => {
          const { kept, dropped } = trimHistory({
            system: 'sys',
            history: messages,
            newTurn,
            contextWindow,
            replyTokens,
          });
          expect(kept).toEqual(messages.slice(messages.length - kept.length));
          expect(dropped).toBe(messages.length - kept.length);
          if (kept.length > 0) {
            expect(kept[0]?.role).toBe('user');
            const used =
              estimateMessageTokens('sys') +
              estimateMessageTokens(newTurn) +
              replyTokens +
              kept.reduce((sum, m) => sum + estimateMessageTokens(m.content), 0);
            expect(used).toBeLessThanOrEqual(contextWindow);
          }
        },
      ),
    );
  });
});
