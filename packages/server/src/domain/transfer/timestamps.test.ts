import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { normalizeTimestamp } from './timestamps.js';

describe('normalizeTimestamp', () => {
  it.each([
    ['2026-01-02T03:04:05.123Z', '2026-01-02T03:04:05.123Z'],
    ['2026-01-02t03:04:05z', '2026-01-02T03:04:05.000Z'],
    ['2026-01-02 03:04:05', '2026-01-02T03:04:05.000Z'],
    ['2026-01-02T03:04', '2026-01-02T03:04:00.000Z'],
    ['2026-01-02', '2026-01-02T00:00:00.000Z'],
    ['2026-01-02T03:04:05.1Z', '2026-01-02T03:04:05.100Z'],
    ['2026-01-02T03:04:05.123999Z', '2026-01-02T03:04:05.123Z'],
    ['2026-01-02T00:30:00+01:00', '2026-01-01T23:30:00.000Z'],
    ['2026-01-02T00:30:00-0130', '2026-01-02T02:00:00.000Z'],
    ['2024-02-29T00:00:00Z', '2024-02-29T00:00:00.000Z'],
    ['2000-02-29T00:00:00Z', '2000-02-29T00:00:00.000Z'],
    ['+275760-09-13T00:00:00.000Z', '+275760-09-13T00:00:00.000Z'],
    ['-000001-01-01T00:00:00.000Z', '-000001-01-01T00:00:00.000Z'],
  ])('reads %s as %s', (text, expected) => {
    expect(normalizeTimestamp(text)).toBe(expected);
  });

  it.each([
    '',
    '1',
    'yesterday',
    'Tue, 02 Jan 2026 03:04:05 GMT',
    '2026-1-2',
    '2026-02-29T00:00:00Z',
    '1900-02-29T00:00:00Z',
    '2026-04-31T00:00:00Z',
    '2026-00-10T00:00:00Z',
    '2026-01-00T00:00:00Z',
    '2026-01-02T24:00:00Z',
    '2026-01-02T03:60:00Z',
    '2026-01-02T03:04:60Z',
    '2026-01-02T03:04:05+24:00',
    '2026-01-02T03:04:05+01:60',
    '2026-01-02Z',
    ' 2026-01-02T03:04:05Z',
    '2026-01-02T03:04:05.Z',
    '-000000-01-01T00:00:00Z',
    '+275760-09-13T00:00:00.001Z',
  ])('refuses %j', (text) => {
    expect(normalizeTimestamp(text)).toBeUndefined();
  });

  it('reads back every timestamp toISOString writes', () => {
    fc.assert(
      fc.property(fc.date({ noInvalidDate: true }), (date) => {
        expect(normalizeTimestamp(date.toISOString())).toBe(date.toISOString());
      }),
    );
  });

  it('returns undefined or a fixed point for any text', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.stringMatching(/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?)?(Z|[+-]\d{2}:\d{2})?$/),
        ),
        (text) => {
          const once = normalizeTimestamp(text);
          if (once !== undefined) {
            expect(normalizeTimestamp(once)).toBe(once);
          }
        },
      ),
    );
  });
});
