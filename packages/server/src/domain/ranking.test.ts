import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import {
  DEFAULT_WEIGHTS,
  filterTest,
  legacyScore,
  matchTags,
  rankCandidates,
  type Candidate,
  type RankableUnit,
} from './ranking.js';

function unit(id: string, fields: Partial<Omit<RankableUnit, 'id'>> = {}): RankableUnit {
  return { id, type: 'fact', confidence: 1, tags: [], status: 'active', ...fields };
}

function candidate(
  id: string,
  lexical: number,
  semantic: number,
  fields: Partial<Omit<RankableUnit, 'id'>> = {},
): Candidate {
  return { unit: unit(id, fields), lexical, semantic };
}

const TASK = 'Write a Python function for data processing';

/** The weights the hand-computed examples below use (independent of the tuned defaults). */
const W = { lexical: 0.6, semantic: 0.4, tagBonusPerMatch: 0.05, maxTagBonus: 0.15, sequence: 0.8 };

describe('DEFAULT_WEIGHTS', () => {
  it('are the documented weights, and the fusion weights sum to 1', () => {
    expect(DEFAULT_WEIGHTS).toEqual({
      lexical: 0.6,
      semantic: 0.4,
      tagBonusPerMatch: 0.05,
      maxTagBonus: 0.15,
      sequence: 0.8,
    });
    expect(DEFAULT_WEIGHTS.lexical + DEFAULT_WEIGHTS.semantic).toBe(1);
  });
});

describe('rankCandidates: exact scores from the header formula', () => {
  it('scores two candidates (lexical 2/1, semantic 0.5/0.25, confidence 1/0.5, one matching tag)', () => {
    // a: lexical 2/2 = 1, semantic 0.5/0.5 = 1, fused 0.6 + 0.4 = 1, score 1 · 1 = 1.
    // b: lexical 1/2 = 0.5, semantic 0.25/0.5 = 0.5, fused 0.5, score 0.5 · 0.5 + 0.05 (tag "python") = 0.3.
    const ranked = rankCandidates(
      TASK,
      [candidate('b', 1, 0.25, { confidence: 0.5, tags: ['python'] }), candidate('a', 2, 0.5, { confidence: 1 })],
      { weights: W, limit: 10 },
    );
    expect(ranked.map((r) => r.unit.id)).toEqual(['a', 'b']);
    expect(ranked[0]?.score).toBe(1);
    expect(ranked[0]?.breakdown).toEqual({
      lexical: 1,
      semantic: 1,
      fused: 1,
      confidence: 1,
      tagBonus: 0,
      matchedTags: [],
      sequence: 0,
    });
    expect(ranked[1]?.score).toBeCloseTo(0.3, 12);
    expect(ranked[1]?.breakdown).toEqual({
      lexical: 0.5,
      semantic: 0.5,
      fused: 0.5,
      confidence: 0.5,
      tagBonus: 0.05,
      matchedTags: ['python'],
      sequence: 0,
    });
  });

  it('scores three candidates below the clamp', () => {
    // max lexical 4, max semantic 0.8.
    // a: lex 1, sem 1, fused 1, 1 · 0.8 + 2 tags · 0.05 = 0.9
    // b: lex 0.75, sem 0.25, fused 0.45 + 0.1 = 0.55, 0.55 · 0.6 = 0.33
    // c: lex 0, sem 0.5, fused 0.2, 0.2 · 1 + 1 tag · 0.05 = 0.25
    const ranked = rankCandidates(
      TASK,
      [
        candidate('c', 0, 0.4, { confidence: 1, tags: ['function'] }),
        candidate('b', 3, 0.2, { confidence: 0.6 }),
        candidate('a', 4, 0.8, { confidence: 0.8, tags: ['data', 'python', 'ml'] }),
      ],
      { weights: W, limit: 10 },
    );
    expect(ranked.map((r) => r.unit.id)).toEqual(['a', 'b', 'c']);
    expect(ranked[0]?.score).toBeCloseTo(0.9, 12);
    expect(ranked[0]?.breakdown.matchedTags).toEqual(['data', 'python']);
    expect(ranked[1]?.score).toBeCloseTo(0.33, 12);
    expect(ranked[1]?.breakdown.fused).toBeCloseTo(0.55, 12);
    expect(ranked[2]?.score).toBeCloseTo(0.25, 12);
    expect(ranked[2]?.breakdown.lexical).toBe(0);
    expect(ranked[2]?.breakdown.semantic).toBe(0.5);
  });

  it('caps the tag bonus at maxTagBonus (4 matches give 0.15, not 0.2)', () => {
    const [r] = rankCandidates(
      'python data function processing',
      [candidate('a', 0, 0, { tags: ['python', 'data', 'function', 'processing'] })],
      {
        weights: W,
        limit: 1,
      },
    );
    expect(r?.breakdown.tagBonus).toBe(0.15);
    expect(r?.score).toBe(0.15);
  });

  it('clamps the final score to 1', () => {
    const [r] = rankCandidates(TASK, [candidate('a', 1, 1, { tags: ['python', 'data'] })], { weights: W, limit: 1 });
    expect(r?.breakdown.fused).toBe(1);
    expect(r?.breakdown.tagBonus).toBeCloseTo(0.1, 12);
    expect(r?.score).toBe(1);
  });

  it('treats a negative cosine as no semantic match', () => {
    // max semantic 0.6: a gets 1 → fused 0.4; b gets max(0, -0.3)/0.6 = 0.
    const ranked = rankCandidates(TASK, [candidate('a', 0, 0.6), candidate('b', 0, -0.3)], { weights: W, limit: 2 });
    expect(ranked.map((r) => [r.unit.id, r.score])).toEqual([
      ['a', 0.4],
      ['b', 0],
    ]);
    expect(ranked[1]?.breakdown.semantic).toBe(0);
  });

  it('gives semantic 0 to everyone when no cosine is positive (no division by zero)', () => {
    const ranked = rankCandidates(TASK, [candidate('a', 2, -0.5), candidate('b', 1, 0)], { weights: W, limit: 2 });
    expect(ranked.map((r) => r.breakdown.semantic)).toEqual([0, 0]);
    expect(ranked.map((r) => r.score)).toEqual([0.6, 0.3]);
  });

  it('gives lexical 0 to everyone when nothing matched lexically', () => {
    const ranked = rankCandidates(TASK, [candidate('a', 0, 0.5), candidate('b', 0, 0.25)], { weights: W, limit: 2 });
    expect(ranked.map((r) => r.breakdown.lexical)).toEqual([0, 0]);
    expect(ranked.map((r) => r.score)).toEqual([0.4, 0.2]);
  });

  it('clamps confidence into [0,1]', () => {
    const ranked = rankCandidates(
      TASK,
      [candidate('hi', 1, 1, { confidence: 1.5 }), candidate('lo', 1, 1, { confidence: -1 })],
      {
        weights: W,
        limit: 2,
      },
    );
    expect(ranked.map((r) => [r.unit.id, r.breakdown.confidence, r.score])).toEqual([
      ['hi', 1, 1],
      ['lo', 0, 0],
    ]);
  });

  it('uses custom weights, normalized by their sum', () => {
    // fused = (1 · 1 + 3 · 0.5) / 4 = 0.625; tag bonus 0.1 per match.
    const [, b] = rankCandidates(TASK, [candidate('a', 2, 0.5), candidate('b', 2, 0.25, { tags: ['python'] })], {
      limit: 2,
      weights: { lexical: 1, semantic: 3, tagBonusPerMatch: 0.1, maxTagBonus: 0.3, sequence: 0 },
    });
    expect(b?.unit.id).toBe('b');
    expect(b?.breakdown.fused).toBe(0.625);
    expect(b?.score).toBeCloseTo(0.725, 12);
  });

  it('scores only the tag bonus when both fusion weights are 0', () => {
    const [r] = rankCandidates(TASK, [candidate('a', 5, 0.9, { tags: ['python'] })], {
      limit: 1,
      weights: { lexical: 0, semantic: 0, tagBonusPerMatch: 0.05, maxTagBonus: 0.15, sequence: 0 },
    });
    expect(r?.breakdown.fused).toBe(0);
    expect(r?.score).toBe(0.05);
  });

  it('breaks ties by lexical score, then by id', () => {
    // With equal weights, d (lexical 0, semantic 1) and a, b (lexical 1, semantic 0) all score 0.5.
    const ranked = rankCandidates('task', [candidate('d', 0, 0.7), candidate('b', 2, 0), candidate('a', 2, 0)], {
      limit: 3,
      weights: { lexical: 0.5, semantic: 0.5, tagBonusPerMatch: 0, maxTagBonus: 0, sequence: 0 },
    });
    expect(ranked.map((r) => [r.unit.id, r.score])).toEqual([
      ['a', 0.5],
      ['b', 0.5],
      ['d', 0.5],
    ]);
  });
});

describe('rankCandidates: superseded units, limit and minScore', () => {
  it('never ranks a superseded unit, and ignores it when normalizing', () => {
    const ranked = rankCandidates(
      TASK,
      [candidate('old', 10, 0.9, { status: 'superseded' }), candidate('new', 1, 0.45)],
      { weights: W, limit: 5 },
    );
    expect(ranked.map((r) => r.unit.id)).toEqual(['new']);
    // Normalized against the active unit only: lexical 1/1, semantic 0.45/0.45.
    expect(ranked[0]?.breakdown.lexical).toBe(1);
    expect(ranked[0]?.breakdown.semantic).toBe(1);
    expect(ranked[0]?.score).toBe(1);
  });

  it('returns [] when only superseded units are candidates', () => {
    expect(rankCandidates(TASK, [candidate('old', 1, 1, { status: 'superseded' })], { weights: W, limit: 5 })).toEqual(
      [],
    );
  });

  it('returns [] for limit 0 or a negative limit', () => {
    const cs = [candidate('a', 1, 1), candidate('b', 1, 0.5)];
    expect(rankCandidates(TASK, cs, { weights: W, limit: 0 })).toEqual([]);
    expect(rankCandidates(TASK, cs, { weights: W, limit: -3 })).toEqual([]);
  });

  it('returns [] without candidates', () => {
    expect(rankCandidates(TASK, [], { weights: W, limit: 5 })).toEqual([]);
  });

  it('returns the best `limit` units', () => {
    const cs = [candidate('a', 1, 0), candidate('b', 2, 0), candidate('c', 3, 0), candidate('d', 4, 0)];
    expect(rankCandidates(TASK, cs, { weights: W, limit: 2 }).map((r) => r.unit.id)).toEqual(['d', 'c']);
  });

  it('returns every ranked unit, even irrelevant ones, when no minScore is given', () => {
    const ranked = rankCandidates(TASK, [candidate('a', 1, 0.5), candidate('zero', 0, 0)], { weights: W, limit: 5 });
    expect(ranked.map((r) => [r.unit.id, r.score])).toEqual([
      ['a', 1],
      ['zero', 0],
    ]);
  });

  it('drops units scoring below minScore and keeps those equal to it, before applying the limit', () => {
    // Scores: a 1, b 0.6 (lexical 1, semantic 0), c 0.4 (lexical 0, semantic 1), d 0.
    const cs = [candidate('a', 1, 1), candidate('b', 1, 0), candidate('c', 0, 1), candidate('d', 0, 0)];
    expect(rankCandidates(TASK, cs, { weights: W, limit: 10, minScore: 0.4 }).map((r) => r.unit.id)).toEqual([
      'a',
      'b',
      'c',
    ]);
    expect(rankCandidates(TASK, cs, { weights: W, limit: 10, minScore: 0.41 }).map((r) => r.unit.id)).toEqual([
      'a',
      'b',
    ]);
    expect(rankCandidates(TASK, cs, { weights: W, limit: 1, minScore: 0.5 }).map((r) => r.unit.id)).toEqual(['a']);
    expect(rankCandidates(TASK, cs, { weights: W, limit: 10, minScore: 0 }).map((r) => r.unit.id)).toEqual([
      'a',
      'b',
      'c',
      'd',
    ]);
    expect(rankCandidates(TASK, cs, { weights: W, limit: 10, minScore: 1.01 })).toEqual([]);
  });

  it('returns the candidate unit objects themselves', () => {
    const c = candidate('a', 1, 1);
    expect(rankCandidates(TASK, [c], { weights: W, limit: 1 })[0]?.unit).toBe(c.unit);
  });
});

describe('matchTags', () => {
  it('matches whole words only: "ai" does not match "maintain"', () => {
    expect(matchTags('please maintain the code', ['ai'])).toEqual([]);
    expect(matchTags('an ai assistant', ['ai'])).toEqual(['ai']);
  });

  it('treats digits as part of a word', () => {
    expect(matchTags('install python3 now', ['python'])).toEqual([]);
    expect(matchTags('install python 3 now', ['python'])).toEqual(['python']);
  });

  it('matches at the start, at the end and next to punctuation', () => {
    expect(matchTags('AI: the basics', ['ai'])).toEqual(['ai']);
    expect(matchTags('learn about (rust).', ['rust'])).toEqual(['rust']);
    expect(matchTags('it is python-based', ['python'])).toEqual(['python']);
  });

  it('is case-insensitive and returns the tags as given', () => {
    expect(matchTags('Write PYTHON code', ['Python', 'CODE', 'java'])).toEqual(['Python', 'CODE']);
  });

  it('matches multi-word tags as a phrase', () => {
    expect(matchTags('I study Machine Learning daily', ['machine learning'])).toEqual(['machine learning']);
    expect(matchTags('the machine is learning', ['machine learning'])).toEqual([]);
    expect(matchTags('machine learningful', ['machine learning'])).toEqual([]);
  });

  it('matches Unicode words with Unicode word boundaries', () => {
    expect(matchTags('Ich gehe ÜBER die Brücke', ['über', 'brücke'])).toEqual(['über', 'brücke']);
    expect(matchTags('Rendez-vous au Café demain', ['café'])).toEqual(['café']);
    expect(matchTags('Überblick', ['über'])).toEqual([]);
    expect(matchTags('поездка в Москву', ['москву', 'моск'])).toEqual(['москву']);
    expect(matchTags('東京 tower', ['東京'])).toEqual(['東京']);
    expect(matchTags('東京都', ['東京'])).toEqual([]);
  });

  it('treats regex metacharacters in tags literally', () => {
    expect(matchTags('I write C++ code', ['c++'])).toEqual(['c++']);
    expect(matchTags('nodexjs is not it', ['node.js'])).toEqual([]);
    expect(matchTags('use node.js here', ['node.js'])).toEqual(['node.js']);
    expect(matchTags('a (b) c', ['(b)', '[b]', 'a|c'])).toEqual(['(b)']);
  });

  it('trims tags and never matches an empty tag', () => {
    expect(matchTags('an ai assistant', ['  ai  ', '', '   '])).toEqual(['  ai  ']);
  });

  it('never throws, and every match really occurs in the lower-cased task', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', maxLength: 40 }),
        fc.array(fc.string({ unit: 'binary', maxLength: 8 }), { maxLength: 6 }),
        (task, tags) => {
          for (const tag of matchTags(task, tags)) {
            expect(task.toLowerCase()).toContain(tag.toLowerCase().trim());
          }
        },
      ),
    );
  });
});

describe('legacyScore (v1 formula)', () => {
  it('reproduces 0.7·cos·confidence + 0.3·(overlap + 0.2·substring tags)', () => {
    // words {write, python, code} ∩ {python, code, is, fun} = 2 of 3; tag "python" is a substring, "rust" is not.
    // 0.7 · 0.8 · 0.5 + 0.3 · (2/3 + 0.2) = 0.28 + 0.26 = 0.54
    expect(legacyScore('Write Python code', 'python code is fun', ['python', 'rust'], 0.8, 0.5)).toBeCloseTo(0.54, 12);
  });

  it('matches tags as substrings, unlike matchTags', () => {
    // 0.7 · 0 + 0.3 · (0 + 0.2) = 0.06
    expect(legacyScore('maintain the code', '', ['ai'], 0, 1)).toBeCloseTo(0.06, 12);
    expect(matchTags('maintain the code', ['ai'])).toEqual([]);
  });

  it('splits on whitespace only, so punctuation stays attached to words', () => {
    // {"python,", "please"} ∩ {"python", "please"} = 1 of 2: 0.7 + 0.3 · 0.5 = 0.85
    expect(legacyScore('python, please', 'Python please', [], 1, 1)).toBeCloseTo(0.85, 12);
  });

  it('counts repeated task words once', () => {
    // {go} ∩ {go} = 1 of 1: 0.3 · 1 = 0.3
    expect(legacyScore('go go go', 'go', [], 0, 1)).toBeCloseTo(0.3, 12);
  });

  it('is not clamped', () => {
    // 0.7 + 0.3 · (1 + 3 · 0.2) = 1.18
    expect(legacyScore('ai ml', 'ai ml', ['ai', 'ml', 'ai ml'], 1, 1)).toBeCloseTo(1.18, 12);
    expect(legacyScore('x', 'y', [], -0.5, 1)).toBeCloseTo(-0.35, 12);
  });

  it('handles an empty task without dividing by zero', () => {
    expect(legacyScore('', 'anything', [], 0.5, 1)).toBeCloseTo(0.35, 12);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Properties

const WORDS = ['python', 'data', 'rust', 'ai', 'ml', 'code', 'maintain', 'café', 'test', 'go'];
const taskArb = fc.array(fc.constantFrom(...WORDS), { maxLength: 6 }).map((ws) => ws.join(' '));
const fieldsArb = fc.record({
  lexical: fc.oneof(fc.constant(0), fc.double({ min: 0, max: 50, noNaN: true })),
  semantic: fc.oneof(fc.constant(0), fc.double({ min: -1, max: 1, noNaN: true })),
  confidence: fc.double({ min: 0, max: 1, noNaN: true }),
  tags: fc.array(fc.constantFrom(...WORDS, 'machine learning', 'x'), { maxLength: 4 }),
  status: fc.constantFrom('active' as const, 'active' as const, 'superseded' as const),
});
const candidatesArb = fc
  .uniqueArray(fc.string({ minLength: 1, maxLength: 4 }), { maxLength: 25 })
  .chain((ids) =>
    fc.tuple(...ids.map((id) => fieldsArb.map((f): Candidate => candidate(id, f.lexical, f.semantic, f)))),
  );
const limitArb = fc.integer({ min: -2, max: 30 });

describe('rankCandidates: properties', () => {
  it('keeps every score and every breakdown component in [0,1]', () => {
    fc.assert(
      fc.property(taskArb, candidatesArb, (task, cs) => {
        for (const r of rankCandidates(task, cs, { weights: W, limit: 100 })) {
          for (const x of [
            r.score,
            r.breakdown.lexical,
            r.breakdown.semantic,
            r.breakdown.fused,
            r.breakdown.confidence,
          ]) {
            expect(x).toBeGreaterThanOrEqual(0);
            expect(x).toBeLessThanOrEqual(1);
          }
          expect(r.breakdown.tagBonus).toBeLessThanOrEqual(DEFAULT_WEIGHTS.maxTagBonus);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('never returns a superseded unit, and returns every active one up to the limit', () => {
    fc.assert(
      fc.property(taskArb, candidatesArb, limitArb, (task, cs, limit) => {
        const ranked = rankCandidates(task, cs, { limit });
        expect(ranked.every((r) => r.unit.status === 'active')).toBe(true);
        const active = cs.filter((c) => c.unit.status === 'active').length;
        expect(ranked.length).toBe(Math.max(0, Math.min(limit, active)));
      }),
      { numRuns: 500 },
    );
  });

  it('sorts by score, descending', () => {
    fc.assert(
      fc.property(taskArb, candidatesArb, (task, cs) => {
        const scores = rankCandidates(task, cs, { weights: W, limit: 100 }).map((r) => r.score);
        for (let i = 1; i < scores.length; i++) {
          expect(scores[i - 1]).toBeGreaterThanOrEqual(scores[i] as number);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('returns at most `limit` units, all with score ≥ minScore', () => {
    fc.assert(
      fc.property(
        taskArb,
        candidatesArb,
        limitArb,
        fc.double({ min: 0, max: 1, noNaN: true }),
        (task, cs, limit, minScore) => {
          const ranked = rankCandidates(task, cs, { limit, minScore });
          expect(ranked.length).toBeLessThanOrEqual(Math.max(0, limit));
          expect(ranked.every((r) => r.score >= minScore)).toBe(true);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('is deterministic and independent of the input order of the candidates', () => {
    const withShuffle = candidatesArb.chain((cs) =>
      fc.tuple(fc.constant(cs), fc.shuffledSubarray(cs, { minLength: cs.length, maxLength: cs.length })),
    );
    fc.assert(
      fc.property(taskArb, withShuffle, limitArb, (task, [cs, shuffled], limit) => {
        const a = rankCandidates(task, cs, { limit });
        expect(rankCandidates(task, cs, { limit })).toEqual(a);
        expect(rankCandidates(task, shuffled, { limit })).toEqual(a);
      }),
      { numRuns: 500 },
    );
  });

  it('never lowers a unit’s score when it gets a tag that matches the task', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...WORDS).chain((word) =>
          fc.tuple(
            fc.constant(word),
            taskArb.map((t) => `${t} ${word}`),
          ),
        ),
        candidatesArb.filter((cs) => cs.some((c) => c.unit.status === 'active')),
        fc.nat(),
        ([word, task], cs, pick) => {
          const active = cs.filter((c) => c.unit.status === 'active');
          const target = active[pick % active.length] as Candidate;
          const before = rankCandidates(task, cs, { weights: W, limit: 100 }).find(
            (r) => r.unit.id === target.unit.id,
          )?.score;
          const tagged = cs.map((c) =>
            c === target ? { ...c, unit: { ...c.unit, tags: [...c.unit.tags, word] } } : c,
          );
          const after = rankCandidates(task, tagged, { weights: W, limit: 100 }).find(
            (r) => r.unit.id === target.unit.id,
          )?.score;
          expect(before).toBeDefined();
          expect(after).toBeGreaterThanOrEqual(before as number);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('does not change active units’ scores when superseded candidates are added', () => {
    fc.assert(
      fc.property(taskArb, candidatesArb, (task, cs) => {
        const activeOnly = cs.filter((c) => c.unit.status === 'active');
        expect(rankCandidates(task, cs, { weights: W, limit: 100 })).toEqual(
          rankCandidates(task, activeOnly, { weights: W, limit: 100 }),
        );
      }),
      { numRuns: 300 },
    );
  });
});

describe('rankCandidates: sequence propagation', () => {
  it('lifts the unit after a strong match to a share of its predecessor score', () => {
    // q: lexical 1, semantic 1 → score 1. a: no match at all → 0, but it follows q → 0.8 · 1.
    const ranked = rankCandidates(TASK, [candidate('q', 2, 0.5), candidate('a', 0, 0), candidate('x', 1, 0.25)], {
      weights: W,
      limit: 3,
      predecessorOf: new Map([['a', 'q']]),
    });
    expect(ranked.map((r) => [r.unit.id, r.score])).toEqual([
      ['q', 1],
      ['a', 0.8],
      ['x', 0.5],
    ]);
    expect(ranked[1]?.breakdown.sequence).toBe(0.8);
    expect(ranked[0]?.breakdown.sequence).toBe(0);
  });

  it('never lowers a score and does not chain through several followers', () => {
    const ranked = rankCandidates(TASK, [candidate('a', 2, 0.5), candidate('b', 0, 0), candidate('c', 0, 0)], {
      weights: W,
      limit: 3,
      predecessorOf: new Map([
        ['b', 'a'],
        ['c', 'b'],
      ]),
    });
    const score = new Map(ranked.map((r) => [r.unit.id, r.score]));
    expect(score.get('b')).toBe(0.8);
    // c inherits from b's own score (0), not from b's lifted score.
    expect(score.get('c')).toBe(0);
  });

  it('is disabled by a zero share and keeps scores in [0,1]', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 5, noNaN: true }),
        (share, lex) => {
          const ranked = rankCandidates(TASK, [candidate('p', lex, 0.3), candidate('f', 0, 0.1)], {
            weights: { ...W, sequence: share },
            limit: 2,
            predecessorOf: new Map([['f', 'p']]),
          });
          for (const r of ranked) {
            expect(r.score).toBeGreaterThanOrEqual(0);
            expect(r.score).toBeLessThanOrEqual(1);
          }
          const unlifted = rankCandidates(TASK, [candidate('p', lex, 0.3), candidate('f', 0, 0.1)], {
            weights: { ...W, sequence: 0 },
            limit: 2,
            predecessorOf: new Map([['f', 'p']]),
          });
          expect(unlifted.find((r) => r.unit.id === 'f')?.breakdown.sequence).toBe(0);
        },
      ),
    );
  });
});

describe('filterTest', () => {
  it('lets every unit through without types or tags', () => {
    expect(filterTest(undefined)).toBeNull();
    expect(filterTest({ types: [], tags: ['', ' '] })).toBeNull();
  });

  it('keeps units of any listed type having any listed tag, tags compared case-insensitively', () => {
    const accept = filterTest({ types: ['goal', 'fact'], tags: [' Work '] });
    expect(accept?.(unit('a', { type: 'goal', tags: ['WORK'] }))).toBe(true);
    expect(accept?.(unit('b', { type: 'fact', tags: ['home', 'work'] }))).toBe(true);
    expect(accept?.(unit('c', { type: 'preference', tags: ['work'] }))).toBe(false);
    expect(accept?.(unit('d', { type: 'goal', tags: ['workshop'] }))).toBe(false);
    expect(filterTest({ types: ['decision'] })?.(unit('e', { type: 'decision' }))).toBe(true);
  });
});
