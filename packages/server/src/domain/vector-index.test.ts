import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { quantize, VectorIndex } from './vector-index.js';

/** mulberry32: a small seeded PRNG, so the random data sets are the same on every run. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** A random L2-normalised float32 vector (Gaussian components, Box–Muller). */
function randomUnitVector(dim: number, rand: () => number): Float32Array {
  const v = new Float32Array(dim);
  for (let i = 0; i < dim; i++) {
    v[i] = Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  }
  return normalize(v);
}

function normalize(v: Float32Array): Float32Array {
  let norm = 0;
  for (const x of v) {
    norm += x * x;
  }
  norm = Math.sqrt(norm);
  return v.map((x) => x / norm);
}

/** Brute-force cosine on the float32 values. */
function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as number;
    const y = b[i] as number;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  return dot / Math.sqrt(na * nb);
}

function basis(dim: number, i: number): Float32Array {
  const v = new Float32Array(dim);
  v[i] = 1;
  return v;
}

/** Unit vector cos(θ)·e_i + sin(θ)·e_j. */
function between(dim: number, i: number, j: number, cos: number): Float32Array {
  const v = new Float32Array(dim);
  v[i] = cos;
  v[j] = Math.sqrt(1 - cos * cos);
  return v;
}

function exactTopK(
  query: Float32Array,
  data: Map<string, Float32Array[]>,
  k: number,
): { id: string; similarity: number }[] {
  return [...data]
    .map(([id, vectors]) => ({ id, similarity: Math.max(...vectors.map((v) => cosine(query, v))) }))
    .sort((a, b) => b.similarity - a.similarity)
    .slice(0, k);
}

describe('quantize', () => {
  it('scales so that the largest component maps to ±127', () => {
    const out = new Int8Array(4);
    const scale = quantize(new Float32Array([0.5, -1, 0.25, 0]), out, 0);
    expect(scale).toBeCloseTo(1 / 127, 9);
    expect([...out]).toEqual([64, -127, 32, 0]);
  });

  it('writes at the given offset and gives scale 1 for a zero vector', () => {
    const out = new Int8Array(5);
    expect(quantize(new Float32Array(3), out, 2)).toBe(1);
    expect([...out]).toEqual([0, 0, 0, 0, 0]);
  });
});

describe('VectorIndex: accuracy against brute-force float32 cosine', () => {
  const dim = 512;
  const rand = prng(20_240_611);
  const data = new Map<string, Float32Array[]>();
  const index = new VectorIndex(dim);
  for (let i = 0; i < 2_000; i++) {
    const v = randomUnitVector(dim, rand);
    data.set(`u${i}`, [v]);
    index.upsert(`u${i}`, [v], true);
  }
  // Random directions, and near-duplicates of stored vectors (the realistic case of a related task).
  const queries = Array.from({ length: 20 }, (_, q) => {
    if (q % 2 === 0) {
      return randomUnitVector(dim, rand);
    }
    const base = (data.get(`u${q * 37}`) as Float32Array[])[0] as Float32Array;
    const noise = randomUnitVector(dim, rand);
    return normalize(base.map((x, i) => x + 0.7 * (noise[i] as number)));
  });

  it('indexes all 2,000 vectors and scores all of them (too few for a shortlist)', () => {
    expect(index.size).toBe(2_000);
    index.search(queries[0] as Float32Array, 10);
    expect(index.lastSearchScoredRows).toBe(2_000);
  });

  it.each(queries.map((q, i) => [i, q] as const))('finds at least 9 of the exact top 10 for query %i', (_i, query) => {
    const exact = exactTopK(query, data, 10).map((h) => h.id);
    const found = index.search(query, 10).map((h) => h.id);
    expect(found).toHaveLength(10);
    expect(found.filter((id) => exact.includes(id)).length).toBeGreaterThanOrEqual(9);
  });

  it('reports similarities within 0.02 of the exact cosine, sorted descending', () => {
    for (const query of queries) {
      const hits = index.search(query, 10);
      for (const hit of hits) {
        const exact = cosine(query, (data.get(hit.id) as Float32Array[])[0] as Float32Array);
        expect(Math.abs(hit.similarity - exact)).toBeLessThan(0.02);
      }
      for (let i = 1; i < hits.length; i++) {
        expect((hits[i - 1] as { similarity: number }).similarity).toBeGreaterThanOrEqual(
          (hits[i] as { similarity: number }).similarity,
        );
      }
    }
  });

  it('gives `similarities` within 0.02 of the exact cosine for the listed ids, leaving unknown ids out', () => {
    const query = queries[0] as Float32Array;
    const ids = ['u0', 'u1', 'u1999', 'missing'];
    const sims = index.similarities(query, ids);
    expect([...sims.keys()]).toEqual(['u0', 'u1', 'u1999']);
    for (const [id, s] of sims) {
      expect(Math.abs(s - cosine(query, (data.get(id) as Float32Array[])[0] as Float32Array))).toBeLessThan(0.02);
    }
  });

  it('finds a stored vector as its own nearest neighbour with similarity ≈ 1', () => {
    const [hit] = index.search((data.get('u1234') as Float32Array[])[0] as Float32Array, 1);
    expect(hit?.id).toBe('u1234');
    expect(hit?.similarity).toBeGreaterThan(0.99);
  });
});

describe('VectorIndex: units, chunks and activity', () => {
  const dim = 8;

  it('returns [] on an empty index or for k ≤ 0', () => {
    const index = new VectorIndex(dim);
    expect(index.search(basis(dim, 0), 5)).toEqual([]);
    index.upsert('a', [basis(dim, 0)], true);
    expect(index.search(basis(dim, 0), 0)).toEqual([]);
    expect(index.search(basis(dim, 0), -1)).toEqual([]);
  });

  it('scores a unit by its best chunk and returns it once', () => {
    const index = new VectorIndex(dim);
    index.upsert('multi', [basis(dim, 0), basis(dim, 1)], true);
    index.upsert('single', [between(dim, 0, 1, 0.6)], true);
    const onE1 = index.search(basis(dim, 1), 10);
    expect(onE1.map((h) => h.id)).toEqual(['multi', 'single']);
    expect(onE1[0]?.similarity).toBeCloseTo(1, 2);
    expect(onE1[1]?.similarity).toBeCloseTo(0.8, 2);
    const onE0 = index.search(basis(dim, 0), 10);
    expect(onE0.map((h) => h.id)).toEqual(['multi', 'single']);
    expect(onE0[1]?.similarity).toBeCloseTo(0.6, 2);
    expect(index.similarities(basis(dim, 1), ['multi']).get('multi')).toBeCloseTo(1, 2);
  });

  it('returns the k best units, most similar first', () => {
    const index = new VectorIndex(dim);
    for (const [id, cos] of [
      ['c', 0.2],
      ['a', 0.9],
      ['d', -0.5],
      ['b', 0.5],
    ] as const) {
      index.upsert(id, [between(dim, 0, 1, cos)], true);
    }
    const hits = index.search(basis(dim, 0), 3);
    expect(hits.map((h) => h.id)).toEqual(['a', 'b', 'c']);
    expect(hits.map((h) => Math.round(h.similarity * 100) / 100)).toEqual([0.9, 0.5, 0.2]);
    expect(index.search(basis(dim, 0), 10).map((h) => h.id)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('removes a unit', () => {
    const index = new VectorIndex(dim);
    index.upsert('a', [basis(dim, 0)], true);
    index.upsert('b', [basis(dim, 1)], true);
    index.remove('a');
    expect(index.has('a')).toBe(false);
    expect(index.size).toBe(1);
    expect(index.search(basis(dim, 0), 10).map((h) => h.id)).toEqual(['b']);
    expect(index.similarities(basis(dim, 0), ['a', 'b']).has('a')).toBe(false);
    index.remove('a');
    index.remove('never-there');
    expect(index.size).toBe(1);
  });

  it('reuses the rows of a removed unit without leaking its vectors', () => {
    const index = new VectorIndex(dim);
    index.upsert('a', [basis(dim, 0), basis(dim, 2)], true);
    index.upsert('b', [basis(dim, 1)], true);
    index.remove('a');
    index.upsert('c', [basis(dim, 3)], true);
    const hits = index.search(basis(dim, 0), 10);
    expect(hits.map((h) => h.id).sort()).toEqual(['b', 'c']);
    expect(hits.every((h) => Math.abs(h.similarity) < 1e-6)).toBe(true);
    expect(index.search(basis(dim, 3), 1)).toEqual([{ id: 'c', similarity: expect.closeTo(1, 2) as number }]);
  });

  it('hides a unit with setActive(false) and shows it again with setActive(true)', () => {
    const index = new VectorIndex(dim);
    index.upsert('a', [basis(dim, 0)], true);
    index.upsert('b', [between(dim, 0, 1, 0.5)], true);
    index.setActive('a', false);
    expect(index.search(basis(dim, 0), 10).map((h) => h.id)).toEqual(['b']);
    expect(index.has('a')).toBe(true);
    index.setActive('a', true);
    expect(index.search(basis(dim, 0), 10).map((h) => h.id)).toEqual(['a', 'b']);
    index.setActive('unknown', false);
    expect(index.size).toBe(2);
  });

  it('does not return a unit inserted as inactive', () => {
    const index = new VectorIndex(dim);
    index.upsert('a', [basis(dim, 0)], false);
    expect(index.has('a')).toBe(true);
    expect(index.search(basis(dim, 0), 10)).toEqual([]);
  });

  it('replaces the vectors and the activity of a unit on upsert', () => {
    const index = new VectorIndex(dim);
    index.upsert('a', [basis(dim, 0)], true);
    index.upsert('a', [basis(dim, 1)], true);
    expect(index.size).toBe(1);
    expect(index.similarities(basis(dim, 0), ['a']).get('a')).toBeCloseTo(0, 6);
    expect(index.search(basis(dim, 1), 10)).toEqual([{ id: 'a', similarity: expect.closeTo(1, 2) as number }]);
    index.upsert('a', [basis(dim, 1)], false);
    expect(index.search(basis(dim, 1), 10)).toEqual([]);
  });

  it('drops a unit upserted with no vectors', () => {
    const index = new VectorIndex(dim);
    index.upsert('a', [basis(dim, 0)], true);
    index.upsert('a', [], true);
    expect(index.has('a')).toBe(false);
    expect(index.size).toBe(0);
  });

  it('empties the index on clear', () => {
    const index = new VectorIndex(dim);
    index.upsert('a', [basis(dim, 0)], true);
    index.upsert('b', [basis(dim, 1)], true);
    index.clear();
    expect(index.size).toBe(0);
    expect(index.search(basis(dim, 0), 10)).toEqual([]);
    index.upsert('c', [basis(dim, 0)], true);
    expect(index.search(basis(dim, 0), 10).map((h) => h.id)).toEqual(['c']);
  });
});

describe('VectorIndex: dimensions', () => {
  it('throws on a vector of the wrong dimension and leaves the index unchanged', () => {
    const index = new VectorIndex(4);
    index.upsert('real', [basis(4, 1)], true);
    expect(() => index.upsert('ghost', [basis(4, 0), new Float32Array(3)], true)).toThrow(
      'vector has 3 dimensions, index expects 4',
    );
    expect(index.has('ghost')).toBe(false);
    expect(index.search(basis(4, 0), 10).map((h) => h.id)).toEqual(['real']);
    expect(() => index.upsert('real', [new Float32Array(5)], true)).toThrow('vector has 5 dimensions, index expects 4');
    expect(index.search(basis(4, 1), 10).map((h) => h.id)).toEqual(['real']);
  });

  it('throws on a query of the wrong dimension', () => {
    const index = new VectorIndex(4);
    index.upsert('a', [basis(4, 0)], true);
    expect(() => index.search(new Float32Array(2), 5)).toThrow('vector has 2 dimensions, index expects 4');
    expect(() => index.search(new Float32Array(40), 5)).toThrow('vector has 40 dimensions, index expects 4');
    expect(() => index.similarities(new Float32Array(3), ['a'])).toThrow('vector has 3 dimensions, index expects 4');
  });

  it('works with a dimension that is not a multiple of 16 (100)', () => {
    const dim = 100;
    const rand = prng(7);
    const index = new VectorIndex(dim);
    const data = new Map<string, Float32Array[]>();
    for (let i = 0; i < 300; i++) {
      const vectors = [randomUnitVector(dim, rand), randomUnitVector(dim, rand)];
      data.set(`u${i}`, vectors);
      index.upsert(`u${i}`, vectors, true);
    }
    for (let q = 0; q < 10; q++) {
      const query = randomUnitVector(dim, rand);
      const exact = exactTopK(query, data, 10);
      const hits = index.search(query, 10);
      expect(hits.filter((h) => exact.some((e) => e.id === h.id)).length).toBeGreaterThanOrEqual(9);
      for (const hit of hits) {
        const best = Math.max(...(data.get(hit.id) as Float32Array[]).map((v) => cosine(query, v)));
        expect(Math.abs(hit.similarity - best)).toBeLessThan(0.02);
      }
    }
    expect(index.search(basis(dim, 99), 300)).toHaveLength(300);
  });
});

describe('VectorIndex: growth', () => {
  it('keeps earlier vectors intact when growing from 16 rows to 5,000 units', () => {
    const dim = 64;
    const rand = prng(42);
    const index = new VectorIndex(dim, 16);
    const vectors: Float32Array[] = [];
    for (let i = 0; i < 5_000; i++) {
      const v = randomUnitVector(dim, rand);
      vectors.push(v);
      index.upsert(`u${i}`, [v], true);
    }
    expect(index.size).toBe(5_000);
    for (const i of [0, 1, 15, 16, 17, 1023, 1024, 1025, 2047, 2048, 4095, 4096, 4999]) {
      const [hit] = index.search(vectors[i] as Float32Array, 1);
      expect(hit?.id).toBe(`u${i}`);
      expect(hit?.similarity).toBeGreaterThan(0.99);
    }
    const query = randomUnitVector(dim, rand);
    const sims = index.similarities(
      query,
      vectors.map((_, i) => `u${i}`),
    );
    expect(sims.size).toBe(5_000);
    for (const [id, s] of sims) {
      expect(Math.abs(s - cosine(query, vectors[Number(id.slice(1))] as Float32Array))).toBeLessThan(0.02);
    }
  });

  it('reserves room ahead: the reserved rows are then filled without growing, and earlier vectors stay intact', () => {
    const dim = 32;
    const rand = prng(7);
    const index = new VectorIndex(dim, 16);
    const vectors = Array.from({ length: 300 }, () => randomUnitVector(dim, rand));
    vectors.slice(0, 10).forEach((v, i) => index.upsert(`u${i}`, [v], true));
    expect(index.spareRows).toBe(6);
    index.reserve(290);
    expect(index.spareRows).toBeGreaterThanOrEqual(290);
    const spare = index.spareRows;
    index.reserve(100);
    expect(index.spareRows).toBe(spare);
    vectors.slice(10).forEach((v, i) => index.upsert(`u${i + 10}`, [v], true));
    expect(index.spareRows).toBe(spare - 290);
    for (const i of [0, 9, 10, 299]) {
      const [hit] = index.search(vectors[i] as Float32Array, 1);
      expect(hit?.id).toBe(`u${i}`);
      expect(hit?.similarity).toBeGreaterThan(0.99);
    }
  });
});

describe('VectorIndex: model-based property', () => {
  type Op =
    | { kind: 'upsert'; id: string; vectors: Float32Array[]; active: boolean }
    | { kind: 'remove'; id: string }
    | { kind: 'setActive'; id: string; active: boolean };

  const dim = 20;
  const idArb = fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f');
  const vectorArb = fc
    .array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: dim, maxLength: dim })
    .filter((xs) => xs.some((x) => Math.abs(x) > 0.1))
    .map((xs) => normalize(Float32Array.from(xs)));
  const opArb: fc.Arbitrary<Op> = fc.oneof(
    {
      weight: 3,
      arbitrary: fc.record({
        kind: fc.constant('upsert' as const),
        id: idArb,
        vectors: fc.array(vectorArb, { maxLength: 3 }),
        active: fc.boolean(),
      }),
    },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('remove' as const), id: idArb }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('setActive' as const), id: idArb, active: fc.boolean() }) },
  );

  it('matches a brute-force model after any sequence of upserts, removes and activity changes', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 40 }), vectorArb, fc.integer({ min: 1, max: 8 }), (ops, query, k) => {
        const index = new VectorIndex(dim, 16);
        const model = new Map<string, { vectors: Float32Array[]; active: boolean }>();
        for (const op of ops) {
          if (op.kind === 'upsert') {
            index.upsert(op.id, op.vectors, op.active);
            if (op.vectors.length === 0) {
              model.delete(op.id);
            } else {
              model.set(op.id, { vectors: op.vectors, active: op.active });
            }
          } else if (op.kind === 'remove') {
            index.remove(op.id);
            model.delete(op.id);
          } else {
            index.setActive(op.id, op.active);
            const entry = model.get(op.id);
            if (entry) {
              entry.active = op.active;
            }
          }
        }
        expect(index.size).toBe(model.size);
        const active = new Map([...model].filter(([, e]) => e.active).map(([id, e]) => [id, e.vectors]));
        const exact = exactTopK(query, active, active.size);
        const hits = index.search(query, k);
        expect(hits).toHaveLength(Math.min(k, active.size));
        const kth = exact[hits.length - 1]?.similarity ?? -Infinity;
        for (const [i, hit] of hits.entries()) {
          expect(active.has(hit.id)).toBe(true);
          const best = exact.find((e) => e.id === hit.id)?.similarity as number;
          expect(Math.abs(hit.similarity - best)).toBeLessThan(0.02);
          // Only near-ties may be swapped by quantisation.
          expect(best).toBeGreaterThan(kth - 0.04);
          if (i > 0) {
            expect((hits[i - 1] as { similarity: number }).similarity).toBeGreaterThanOrEqual(hit.similarity);
          }
        }
        expect(new Set(hits.map((h) => h.id)).size).toBe(hits.length);
      }),
      { numRuns: 300 },
    );
  });
});

describe('VectorIndex: sign-code shortlist of a large index', () => {
  const dim = 128;
  const rand = prng(7_031);
  // Clustered data, as sentence embeddings are: 60 topic centres, each unit a noisy copy of one.
  const centres = Array.from({ length: 60 }, () => randomUnitVector(dim, rand));
  const data = new Map<string, Float32Array[]>();
  const index = new VectorIndex(dim);
  for (let i = 0; i < 6_000; i++) {
    const centre = centres[i % centres.length] as Float32Array;
    const noise = randomUnitVector(dim, rand);
    const v = normalize(centre.map((x, j) => x + 0.8 * (noise[j] as number)));
    data.set(`u${i}`, [v]);
    index.upsert(`u${i}`, [v], true);
  }
  const queries = Array.from({ length: 12 }, (_, q) => {
    const centre = centres[(q * 7) % centres.length] as Float32Array;
    const noise = randomUnitVector(dim, rand);
    return normalize(centre.map((x, j) => x + 0.9 * (noise[j] as number)));
  });

  it('is used above four times the shortlist, and finds nearly all of the full scan’s top 100', () => {
    for (const query of queries) {
      const full = index.search(query, 100, { exhaustive: true });
      expect(index.lastSearchScoredRows).toBe(6_000);
      const short = index.search(query, 100);
      expect(index.lastSearchScoredRows).toBe(1_000);
      expect(short).toHaveLength(100);
      const fullIds = new Set(full.map((h) => h.id));
      expect(short.filter((h) => fullIds.has(h.id)).length).toBeGreaterThanOrEqual(97);
      // Every unit it returns carries exactly the score the full scan gives it.
      const fullScore = new Map(index.search(query, 6_000, { exhaustive: true }).map((h) => [h.id, h.similarity]));
      for (const hit of short) {
        expect(hit.similarity).toBe(fullScore.get(hit.id));
      }
    }
  });

  it('agrees with the exact float cosine on the top 10', () => {
    expect(index.search(queries[0] as Float32Array, 10)).toHaveLength(10);
    expect(index.lastSearchScoredRows).toBe(1_000);
    for (const query of queries) {
      const exact = exactTopK(query, data, 10).map((h) => h.id);
      const found = index.search(query, 10).map((h) => h.id);
      expect(found.filter((id) => exact.includes(id)).length).toBeGreaterThanOrEqual(9);
    }
  });

  it('skips inactive units and scores a unit by its best chunk', () => {
    const query = queries[0] as Float32Array;
    const [top] = index.search(query, 1);
    index.setActive(top!.id, false);
    expect(index.search(query, 100).map((h) => h.id)).not.toContain(top!.id);
    index.setActive(top!.id, true);
    // A unit whose first chunk is far from the query and second chunk is the query itself.
    const far = normalize(query.map((x) => -x));
    index.upsert('two-chunks', [far, query], true);
    const [best] = index.search(query, 1);
    expect(best?.id).toBe('two-chunks');
    expect(best?.similarity).toBeGreaterThan(0.99);
    index.remove('two-chunks');
    expect(index.search(query, 100).map((h) => h.id)).not.toContain('two-chunks');
  });

  it('gives `similarities` equal to the full scan’s scores', () => {
    const query = queries[1] as Float32Array;
    const full = new Map(index.search(query, 6_000, { exhaustive: true }).map((h) => [h.id, h.similarity]));
    const sims = index.similarities(query, ['u1', 'u2', 'u5999', 'missing']);
    expect([...sims.keys()]).toEqual(['u1', 'u2', 'u5999']);
    for (const [id, s] of sims) {
      expect(s).toBeCloseTo(full.get(id) as number, 6);
    }
  });
});
