import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { createReplyLimit, truncationNotice } from './reply-limit.js';

const NOTICE_1024 = '\n\n[Reply truncated: it reached the limit of 1024 bytes.]';

describe('createReplyLimit', () => {
  it('passes pieces on unchanged while they fit', () => {
    const limit = createReplyLimit(1024);
    expect(limit.take('Hello ')).toEqual({ text: 'Hello ', reached: false });
    expect(limit.take('world.')).toEqual({ text: 'world.', reached: false });
    expect(limit.text).toBe('Hello world.');
  });

  it('cuts the piece that crosses the limit, appends the notice, and drops everything after it', () => {
    expect(truncationNotice(1024)).toBe(NOTICE_1024);
    const budget = 1024 - NOTICE_1024.length; // 968: the notice is ASCII
    const limit = createReplyLimit(1024);
    expect(limit.take('a'.repeat(900)).reached).toBe(false);
    const cut = limit.take('b'.repeat(100));
    expect(cut).toEqual({ text: `${'b'.repeat(budget - 900)}${NOTICE_1024}`, reached: true });
    expect(limit.take('c')).toEqual({ text: '', reached: true });
    expect(limit.text).toBe(`${'a'.repeat(900)}${'b'.repeat(budget - 900)}${NOTICE_1024}`);
    expect(Buffer.byteLength(limit.text)).toBe(1024);
  });

  it('never splits a character: a 4-byte character that does not fit is left out whole', () => {
    const limit = createReplyLimit(1024);
    const budget = 1024 - NOTICE_1024.length;
    limit.take('a'.repeat(budget - 2));
    const cut = limit.take('😀😀');
    expect(cut.text).toBe(NOTICE_1024);
    expect(limit.text).toBe(`${'a'.repeat(budget - 2)}${NOTICE_1024}`);
  });

  it('keeps any sequence of pieces within the limit, as a prefix of the whole reply plus the notice', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1024, max: 4096 }),
        fc.array(fc.string({ unit: 'grapheme', maxLength: 300 }), { maxLength: 40 }),
        (maxBytes, pieces) => {
          const limit = createReplyLimit(maxBytes);
          const passed = pieces.map((p) => limit.take(p).text).join('');
          const whole = pieces.join('');
          expect(passed).toBe(limit.text);
          expect(Buffer.byteLength(passed)).toBeLessThanOrEqual(maxBytes);
          if (passed.endsWith(truncationNotice(maxBytes))) {
            expect(whole.startsWith(passed.slice(0, -truncationNotice(maxBytes).length))).toBe(true);
          } else {
            expect(passed).toBe(whole);
          }
        },
      ),
    );
  });
});
