import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { createGenerator, vocabularySize } from './data.js';
import {
  collect,
  combine,
  parseServerTiming,
  quantile,
  runConcurrent,
  runPaired,
  runSequential,
  summarize,
} from './load.js';
import { verdict } from './report.js';

describe('quantile', () => {
  it('interpolates between closest ranks', () => {
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(quantile([10, 20, 30, 40, 50], 0.95)).toBeCloseTo(48, 10);
    expect(quantile([3, 1, 2], 0)).toBe(1);
    expect(quantile([3, 1, 2], 1)).toBe(3);
    expect(quantile([7], 0.99)).toBe(7);
  });

  it('is NaN for no values and refuses q outside [0,1]', () => {
    expect(quantile([], 0.5)).toBeNaN();
    expect(() => quantile([1], 1.5)).toThrow(RangeError);
  });

  it('stays within min and max and grows with q', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 50 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (values, q1, q2) => {
          const [lo, hi] = q1 <= q2 ? [q1, q2] : [q2, q1];
          const a = quantile(values, lo);
          const b = quantile(values, hi);
          return a >= Math.min(...values) && b <= Math.max(...values) && a <= b + 1e-9;
        },
      ),
    );
  });
});

describe('summarize', () => {
  it('gives count, mean and percentiles', () => {
    const s = summarize([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(s).toMatchObject({ count: 10, min: 1, max: 10, mean: 5.5, p50: 5.5 });
    expect(s.p95).toBeCloseTo(9.55, 10);
  });
});

describe('parseServerTiming', () => {
  it('reads the durations of each metric', () => {
    expect(parseServerTiming('embed;dur=12.34, rank;dur=0.56')).toEqual({ embed: 12.34, rank: 0.56 });
    expect(parseServerTiming(['db;desc="x";dur=3', 'cache'])).toEqual({ db: 3 });
    expect(parseServerTiming(undefined)).toEqual({});
    expect(parseServerTiming('rank;dur=abc')).toEqual({});
  });
});

describe('runs', () => {
  it('keeps failures out of the latencies and counts them', () => {
    const r = collect(
      [
        { ok: true, ms: 2 },
        { ok: false, ms: 100, error: 'HTTP 429' },
        { ok: true, ms: 4 },
      ],
      1000,
    );
    expect(r).toMatchObject({ ok: 2, failed: 1, errors: ['HTTP 429'], throughput: 2 });
    expect(r.latency.max).toBe(4);
  });

  it('stops a sequential run at its count', async () => {
    const r = await runSequential(5, 10_000, () => Promise.resolve({ ok: true, ms: 1 }));
    expect(r.ok).toBe(5);
  });

  it('never starts more calls than maxCount and never more than `concurrency` at once', async () => {
    let inFlight = 0;
    let peak = 0;
    const r = await runConcurrent(3, 10_000, 20, async () => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 1));
      inFlight--;
      return { ok: true, ms: 1 };
    });
    expect(r.ok).toBe(20);
    expect(peak).toBeLessThanOrEqual(3);
  });

  it('pairs requests AB, BA, AB', async () => {
    const order: string[] = [];
    const side = (name: string) => (i: number) => {
      order.push(`${name}${i}`);
      return Promise.resolve({ ok: true, ms: 1 });
    };
    const [a, b] = await runPaired(3, 10_000, side('a'), side('b'));
    expect(order).toEqual(['a0', 'b0', 'b1', 'a1', 'a2', 'b2']);
    expect(a.ok + b.ok).toBe(6);
  });

  it('pools runs: all successes over all wall time', () => {
    const one = collect([{ ok: true, ms: 1 }], 500);
    const two = collect(
      [
        { ok: true, ms: 3 },
        { ok: true, ms: 5 },
      ],
      500,
    );
    expect(combine([one, two])).toMatchObject({ ok: 3, elapsedMs: 1000, throughput: 3 });
  });
});

describe('verdict', () => {
  it('passes a value at the limit and misses a missing value', () => {
    const row = { section: 's', metric: 'm', unit: 'ms' as const, target: { kind: 'max' as const, limit: 40 } };
    expect(verdict({ ...row, value: 40 })).toBe('PASS');
    expect(verdict({ ...row, value: 40.1 })).toBe('MISS');
    expect(verdict({ ...row, value: Number.NaN })).toBe('MISS');
    expect(verdict({ section: 's', metric: 'm', unit: 'ms', value: 1 })).toBe('info');
  });
});

describe('generator', () => {
  it('is deterministic and keeps units within 5–25 words and create bodies within 100 words', () => {
    const a = createGenerator(3);
    const b = createGenerator(3);
    const units = Array.from({ length: 2000 }, () => a.unit());
    expect(Array.from({ length: 2000 }, () => b.unit())).toEqual(units);
    for (const u of units) {
      const words = u.content.split(' ').length;
      expect(words).toBeGreaterThanOrEqual(5);
      expect(words).toBeLessThanOrEqual(25);
      expect(u.tags.length).toBeLessThanOrEqual(3);
    }
    for (let i = 0; i < 200; i++) {
      expect(a.createBody().content.split(' ').length).toBeLessThanOrEqual(100);
    }
    expect(vocabularySize(units.map((u) => u.content))).toBeGreaterThan(1500);
  });
});
