import { describe, expect, it } from 'vitest';

import { createBm25, FTS5_DEFAULTS } from './bm25.js';
import { normalizeDiaId, repairEvidence, type Turn } from './dataset.js';
import { propagateToNeighbours } from './experiments.js';
import { legacyRanking, reciprocalRankFusion } from './fusion.js';
import { meanMetrics, ndcgAtK, recallAtK, reciprocalRank, scoreRanking } from './metrics.js';

const gold = (...ids: string[]) => new Set(ids);

describe('recallAtK', () => {
  it('counts the fraction of gold ids found in the top k', () => {
    expect(recallAtK(['a', 'x', 'b', 'y'], gold('a', 'b', 'c', 'd'), 2)).toBe(0.25);
    expect(recallAtK(['a', 'x', 'b', 'y'], gold('a', 'b', 'c', 'd'), 3)).toBe(0.5);
  });

  it('counts a gold id listed twice once', () => {
    expect(recallAtK(['a', 'a'], gold('a', 'b'), 2)).toBe(0.5);
  });

  it('rejects an empty gold set', () => {
    expect(() => recallAtK(['a'], gold(), 1)).toThrow(RangeError);
  });
});

describe('reciprocalRank', () => {
  it('is 1 over the rank of the first gold id', () => {
    expect(reciprocalRank(['x', 'y', 'b', 'a'], gold('a', 'b'))).toBeCloseTo(1 / 3, 12);
  });

  it('is 0 when the first gold id is deeper than the depth', () => {
    expect(reciprocalRank(['x', 'y', 'a'], gold('a'), 2)).toBe(0);
  });
});

describe('ndcgAtK', () => {
  it('is 1 for a perfect ranking and uses binary gains with log2 discounts', () => {
    expect(ndcgAtK(['a', 'b', 'x'], gold('a', 'b'), 10)).toBe(1);
    // DCG = 1/log2(3) = 0.6309…, IDCG = 1 + 1/log2(3) = 1.6309…
    expect(ndcgAtK(['x', 'a'], gold('a', 'b'), 10)).toBeCloseTo(0.63093 / 1.63093, 4);
  });

  it('caps the ideal ranking at k', () => {
    expect(ndcgAtK(['a'], gold('a', 'b', 'c'), 1)).toBe(1);
  });
});

describe('scoreRanking and meanMetrics', () => {
  it('averages each metric over questions', () => {
    const hit = scoreRanking(['a'], gold('a'));
    const miss = scoreRanking(['x'], gold('a'));
    expect(hit).toEqual({ recall5: 1, recall10: 1, recall20: 1, mrr: 1, ndcg10: 1 });
    expect(meanMetrics([hit, miss])).toEqual({ recall5: 0.5, recall10: 0.5, recall20: 0.5, mrr: 0.5, ndcg10: 0.5 });
  });
});

describe('reciprocalRankFusion', () => {
  it('sums 1/(k + rank) over the lists', () => {
    // a: 1/61 + 1/62, b: 1/62 + 1/61, c: 1/63 → a and b tie (by id), then c.
    expect(
      reciprocalRankFusion(
        [
          ['a', 'b', 'c'],
          ['b', 'a'],
        ],
        60,
      ),
    ).toEqual(['a', 'b', 'c']);
    expect(reciprocalRankFusion([['c'], ['b', 'c']], 60)).toEqual(['c', 'b']);
  });
});

describe('legacyRanking', () => {
  it('keeps the top 2·limit by cosine and re-orders them by word overlap', () => {
    const v = (x: number, y: number) => Float32Array.from([x, y]);
    const unit = (id: string, content: string, vector: Float32Array) => ({
      id,
      content,
      tags: [],
      confidence: 1,
      vectors: [vector],
    });
    const units = [
      unit('near', 'nothing shared', v(1, 0)),
      unit('words', 'pottery class', v(0.8, 0.6)),
      unit('far', 'pottery class', v(0, 1)),
    ];
    // limit 1 → top 2 by cosine: near (1.0), words (0.8); legacy: near 0.7, words 0.7·0.8 + 0.3·(2/2) = 0.86.
    expect(legacyRanking('pottery class', v(1, 0), units, 1)).toEqual(['words']);
  });
});

describe('evidence repair', () => {
  it('normalises malformed ids', () => {
    expect(normalizeDiaId('D30:05')).toBe('D30:5');
    expect(normalizeDiaId('D:11:26')).toBe('D11:26');
    expect(normalizeDiaId('D')).toBeNull();
  });

  it('splits lists, drops unknown ids and de-duplicates', () => {
    const turns = new Set(['D8:6', 'D9:17', 'D9:1', 'D4:4', 'D4:6']);
    expect(repairEvidence(['D8:6; D9:17', 'D9:1 D4:4 D4:6', 'D8:6', 'D10:19', 'D'], turns)).toEqual({
      gold: ['D8:6', 'D9:17', 'D9:1', 'D4:4', 'D4:6'],
      repaired: 2,
      dropped: 2,
    });
  });
});

describe('createBm25', () => {
  it('matches stemmed query terms and ranks the rarer term higher', () => {
    const search = createBm25(
      [
        { id: 'a', text: 'I painted a sunset' },
        { id: 'b', text: 'my dog likes the beach' },
        { id: 'c', text: 'the beach at sunset with my dog' },
        { id: 'd', text: 'nothing here' },
      ],
      FTS5_DEFAULTS,
    );
    const scores = search('What did Mel paint at the beach?');
    expect([...scores.keys()].sort()).toEqual(['a', 'b', 'c']);
    // idf(paint) = ln(3.5 / 1.5) > idf(beach) = ln(2.5 / 2.5) → 1e-6.
    expect(scores.get('a')).toBeGreaterThan(scores.get('c') ?? 0);
  });
});

describe('propagateToNeighbours', () => {
  const turn = (id: string): Turn => ({ id, speaker: 'A', text: '', caption: null });
  const turns = ['D1:1', 'D1:2', 'D2:1'].map(turn);

  it('lifts the next turn of the same session to γ times the score', () => {
    const ranked = [
      { id: 'D1:1', score: 1 },
      { id: 'D2:1', score: 0.5 },
    ];
    expect(propagateToNeighbours(ranked, turns, { next: 0.8 })).toEqual(['D1:1', 'D1:2', 'D2:1']);
  });

  it('never lifts across sessions nor lowers a score', () => {
    const ranked = [
      { id: 'D1:2', score: 1 },
      { id: 'D2:1', score: 0.9 },
    ];
    expect(propagateToNeighbours(ranked, turns, { next: 0.8 })).toEqual(['D1:2', 'D2:1']);
  });
});
