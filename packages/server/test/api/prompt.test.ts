import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { composeCompactPrompt, composeFullPrompt } from '../../src/domain/prompt.js';
import { buildTestApp, inject, token } from '../helpers.js';

const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const ENDPOINTS = ['/generate-prompt', '/generate-prompt/compact'] as const;

interface Unit {
  id: string;
  type: 'preference' | 'decision' | 'fact' | 'goal';
  content: string;
  confidence: number;
  created_at: string;
  last_used: string | null;
  source: string;
  tags: string[];
  status: string;
  superseded_by: string | null;
}

interface Ranked {
  context_unit: Unit;
  relevance_score: number;
  score_breakdown: {
    lexical: number;
    semantic: number;
    fused: number;
    confidence: number;
    tag_bonus: number;
    matched_tags: string[];
  };
}

interface Generated {
  original_task: string;
  relevant_context: Ranked[];
  generated_prompt: string;
  timestamp: string;
}

/** The main app; `empty` never gets a unit; `limited` has CONTEXTPILOT_MAX_CONTEXTS_PER_REQUEST=3. */
let app: FastifyInstance;
let empty: FastifyInstance;
let limited: FastifyInstance;
beforeAll(async () => {
  [app, empty, limited] = await Promise.all([
    buildTestApp(),
    buildTestApp(),
    buildTestApp({ CONTEXTPILOT_MAX_CONTEXTS_PER_REQUEST: '3' }),
  ]);
});
afterAll(async () => {
  await Promise.all([app.close(), empty.close(), limited.close()]);
});

async function create(payload: Record<string, unknown>): Promise<Unit> {
  const res = await inject(app, { method: 'POST', url: '/contexts', payload });
  expect(res.statusCode, res.body).toBe(201);
  return res.json<Unit>();
}

async function generate(url: string, payload: Record<string, unknown>, on: FastifyInstance = app): Promise<Generated> {
  const res = await inject(on, { method: 'POST', url, payload });
  expect(res.statusCode, res.body).toBe(200);
  return res.json<Generated>();
}

async function errorOf(url: string, payload: Record<string, unknown>, on: FastifyInstance = app) {
  const res = await inject(on, { method: 'POST', url, payload });
  const body = res.json<{ error_code: string; message: string; detail: string; details: Record<string, unknown> }>();
  expect(Object.keys(body).sort()).toEqual(['detail', 'details', 'error_code', 'message']);
  expect(body.detail).toBe(body.message);
  return { status: res.statusCode, body };
}

describe.each(ENDPOINTS)('POST %s', (url) => {
  const compose = url.endsWith('compact') ? composeCompactPrompt : composeFullPrompt;

  it('returns the v1 shape with a sanitized original_task and an RFC 3339 timestamp', async () => {
    const word = token();
    await create({ type: 'fact', content: `The release train for ${word} leaves on Fridays` });
    const body = await generate(url, { task: `  Plan\u0000 the ${word}\u0007 release\r\n  ` });
    expect(Object.keys(body)).toEqual(['original_task', 'relevant_context', 'generated_prompt', 'timestamp']);
    expect(body.original_task).toBe(`Plan the ${word} release`);
    expect(body.timestamp).toMatch(TIMESTAMP);
    expect(body.relevant_context.length).toBeGreaterThan(0);
    expect(body.generated_prompt).toContain(body.original_task);
    expect(body.generated_prompt).not.toContain('\u0000');
  });

  it('keeps a normal task verbatim', async () => {
    const task = `Summarise the notes about ${token()} in 3 bullet points`;
    const body = await generate(url, { task });
    expect(body.original_task).toBe(task);
  });

  it('gives every unit a relevance_score in [0,1] and a numeric score_breakdown', async () => {
    const word = token();
    await create({
      type: 'preference',
      content: `I like ${word} with lots of detail`,
      tags: [word, 'style'],
      confidence: 0.9,
    });
    await create({ type: 'fact', content: `The ${word} server runs on port 8080`, confidence: 0.3 });
    await create({ type: 'goal', content: 'Learn to play the cello' });
    const body = await generate(url, { task: `Explain the ${word} setup in detail`, max_context_units: 20 });
    expect(body.relevant_context.length).toBeGreaterThanOrEqual(3);
    for (const r of body.relevant_context) {
      expect(Object.keys(r)).toEqual(['context_unit', 'relevance_score', 'score_breakdown']);
      expect(r.relevance_score).toBeGreaterThanOrEqual(0);
      expect(r.relevance_score).toBeLessThanOrEqual(1);
      const b = r.score_breakdown;
      for (const value of [b.lexical, b.semantic, b.fused, b.confidence, b.tag_bonus]) {
        expect(typeof value).toBe('number');
        expect(Number.isFinite(value)).toBe(true);
        expect(value).toBeGreaterThanOrEqual(0);
        expect(value).toBeLessThanOrEqual(1);
      }
      expect(Array.isArray(b.matched_tags)).toBe(true);
      expect(b.confidence).toBe(r.context_unit.confidence);
    }
    const scores = body.relevant_context.map((r) => r.relevance_score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    const tagged = body.relevant_context.find((r) => r.context_unit.tags.includes(word));
    expect(tagged?.score_breakdown.matched_tags).toEqual([word]);
    expect(tagged?.score_breakdown.tag_bonus).toBeGreaterThan(0);
  });

  it('ranks a Python preference above a JavaScript fact for a Python data-processing task', async () => {
    const word = token();
    const python = await create({
      type: 'preference',
      content: `I prefer Python for data processing ${word}`,
      tags: ['python'],
    });
    const javascript = await create({ type: 'fact', content: `JavaScript runs in the browser ${word}` });
    const body = await generate(url, { task: 'Write a Python function for data processing', max_context_units: 20 });
    const ids = body.relevant_context.map((r) => r.context_unit.id);
    expect(ids).toContain(python.id);
    expect(ids.indexOf(python.id)).toBeLessThan(
      ids.indexOf(javascript.id) === -1 ? Infinity : ids.indexOf(javascript.id),
    );
    const score = (id: string) => body.relevant_context.find((r) => r.context_unit.id === id)?.relevance_score ?? 0;
    expect(score(python.id)).toBeGreaterThan(score(javascript.id));
    expect(body.relevant_context.find((r) => r.context_unit.id === python.id)?.score_breakdown.matched_tags).toEqual([
      'python',
    ]);
  });

  it('returns a prompt that is exactly the composition of the returned units', async () => {
    const word = token();
    await create({ type: 'fact', content: `Fact about ${word}`, confidence: 0.5, tags: ['x', 'y z'] });
    await create({ type: 'goal', content: `Goal about ${word}`, confidence: 0.79, tags: ['g'] });
    await create({ type: 'preference', content: `Preference about ${word}`, confidence: 0.8 });
    await create({ type: 'decision', content: `Decision about ${word}\nsecond line`, confidence: 1 });
    const body = await generate(url, { task: `Do the task about ${word}`, max_context_units: 6 });
    expect(body.relevant_context.length).toBe(6);
    const rebuilt = compose(
      body.original_task,
      body.relevant_context.map((r) => r.context_unit),
    );
    expect(body.generated_prompt).toBe(rebuilt);
  });

  it('defaults max_context_units to 5', async () => {
    for (let i = 0; i < 6; i++) {
      await create({ type: 'fact', content: `Default limit item ${i} ${token()}` });
    }
    const body = await generate(url, { task: 'Which default limit item matters?' });
    expect(body.relevant_context).toHaveLength(5);
  });

  it('returns at most max_context_units units', async () => {
    for (let i = 0; i < 3; i++) {
      await create({ type: 'fact', content: `Bounded item ${i} ${token()}` });
    }
    expect((await generate(url, { task: 'Which bounded item?', max_context_units: 1 })).relevant_context).toHaveLength(
      1,
    );
    expect((await generate(url, { task: 'Which bounded item?', max_context_units: 2 })).relevant_context).toHaveLength(
      2,
    );
  });

  it.each([0, 21, -1, 2.5, '5', null])('rejects max_context_units %j with 422', async (value) => {
    const { status, body } = await errorOf(url, { task: 'Anything at all', max_context_units: value });
    expect(status).toBe(422);
    expect(body.error_code).toBe('VALIDATION_ERROR');
    expect(body.message).toContain('max_context_units');
    expect(body.details.errors).toEqual([expect.objectContaining({ loc: ['body', 'max_context_units'] })]);
  });

  it('accepts max_context_units 1 and 20', async () => {
    await create({ type: 'fact', content: `Bounds ${token()}` });
    expect((await generate(url, { task: 'Bounds check', max_context_units: 1 })).relevant_context.length).toBe(1);
    expect(
      (await generate(url, { task: 'Bounds check', max_context_units: 20 })).relevant_context.length,
    ).toBeGreaterThan(0);
  });

  it('rejects max_context_units above CONTEXTPILOT_MAX_CONTEXTS_PER_REQUEST with 400', async () => {
    const { status, body } = await errorOf(url, { task: 'Limited app task', max_context_units: 4 }, limited);
    expect(status).toBe(400);
    expect(body.message).toBe('max_context_units exceeds limit of 3');
    expect(body.error_code).toBe('HTTP_ERROR');
    const ok = await inject(limited, {
      method: 'POST',
      url,
      payload: { task: 'Limited app task', max_context_units: 3 },
    });
    expect(ok.statusCode).toBe(200);
  });

  it('drops units below min_score', async () => {
    const word = token();
    const strong = await create({ type: 'fact', content: `${word} ${word} handbook` });
    // Shares one term with the task, at a lower confidence: ranked, but clearly below the strong match.
    const weak = await create({ type: 'fact', content: `Pottery glazing notes mention ${word} once`, confidence: 0.6 });
    const all = await generate(url, { task: `${word} handbook`, max_context_units: 20 });
    const allIds = all.relevant_context.map((r) => r.context_unit.id);
    expect(allIds).toContain(strong.id);
    expect(allIds).toContain(weak.id);
    const weakScore = all.relevant_context.find((r) => r.context_unit.id === weak.id)?.relevance_score ?? 1;
    const strongScore = all.relevant_context.find((r) => r.context_unit.id === strong.id)?.relevance_score ?? 0;
    expect(weakScore).toBeLessThan(strongScore);
    const minScore = (weakScore + strongScore) / 2;

    const filtered = await generate(url, { task: `${word} handbook`, max_context_units: 20, min_score: minScore });
    const ids = filtered.relevant_context.map((r) => r.context_unit.id);
    expect(ids).toContain(strong.id);
    expect(ids).not.toContain(weak.id);
    for (const r of filtered.relevant_context) {
      expect(r.relevance_score).toBeGreaterThanOrEqual(minScore);
    }
    expect(filtered.generated_prompt).toBe(
      compose(
        filtered.original_task,
        filtered.relevant_context.map((r) => r.context_unit),
      ),
    );
  });

  it('ranks only units of the given types and with any of the given tags', async () => {
    const word = token();
    const [fact, goal, tagged] = [
      await create({ type: 'fact', content: `${word} fact about the garden` }),
      await create({ type: 'goal', content: `${word} goal for the garden` }),
      await create({ type: 'fact', content: `${word} tagged fact`, tags: ['Garden'] }),
    ];
    // Other tests' units share the app: the filtered rankings hold only units that pass the filter.
    const byType = await generate(url, { task: `${word} garden`, max_context_units: 20, types: ['goal'] });
    expect(byType.relevant_context.map((r) => r.context_unit.id)).toContain(goal.id);
    expect(byType.relevant_context.every((r) => r.context_unit.type === 'goal')).toBe(true);
    expect(byType.generated_prompt).toBe(
      compose(
        byType.original_task,
        byType.relevant_context.map((r) => r.context_unit),
      ),
    );

    const byTag = await generate(url, { task: `${word} garden`, max_context_units: 20, tags: ['garden', 'none'] });
    expect(byTag.relevant_context.map((r) => r.context_unit.id)).toContain(tagged.id);
    for (const r of byTag.relevant_context) {
      expect(r.context_unit.tags.map((t) => t.toLowerCase())).toContain('garden');
    }

    const both = await generate(url, { task: `${word} garden`, max_context_units: 20, types: ['fact'], tags: [] });
    expect(both.relevant_context.map((r) => r.context_unit.id)).toEqual(expect.arrayContaining([fact.id, tagged.id]));
    expect(both.relevant_context.every((r) => r.context_unit.type === 'fact')).toBe(true);
  });

  it.each([{ types: ['note'] }, { types: 'fact' }, { tags: [1] }, { tags: Array.from({ length: 101 }, () => 'a') }])(
    'rejects the filter %j with 422',
    async (filter) => {
      const { status } = await errorOf(url, { task: 'Anything', ...filter });
      expect(status).toBe(422);
    },
  );

  it.each([-0.1, 1.1, 'high'])('rejects min_score %j with 422', async (value) => {
    const { status } = await errorOf(url, { task: 'Anything', min_score: value });
    expect(status).toBe(422);
  });

  it('returns the task itself and no context when min_score excludes everything', async () => {
    await create({ type: 'fact', content: `Irrelevant gardening note ${token()}`, confidence: 0.1 });
    const task = `Quantum chromodynamics lecture ${token()}`;
    const body = await generate(url, { task, min_score: 1 });
    expect(body.relevant_context).toEqual([]);
    expect(body.generated_prompt).toBe(task);
  });

  it('rejects a task of 10,001 characters with 400 "exceeds maximum" and accepts 10,000', async () => {
    const { status, body } = await errorOf(url, { task: 'a'.repeat(10_001) });
    expect(status).toBe(400);
    expect(body.message).toContain('exceeds maximum');
    const ok = await inject(app, { method: 'POST', url, payload: { task: 'a'.repeat(10_000), max_context_units: 1 } });
    expect(ok.statusCode).toBe(200);
  });

  it.each(['', '   ', ' \n\t  ', '\u0000\u0001'])('rejects the empty task %j with 400 "empty"', async (task) => {
    const { status, body } = await errorOf(url, { task });
    expect(status).toBe(400);
    expect(body.message.toLowerCase()).toContain('empty');
  });

  it('rejects a missing task or a non-string task with 422', async () => {
    expect((await errorOf(url, {})).status).toBe(422);
    expect((await errorOf(url, { task: 42 })).status).toBe(422);
    expect((await errorOf(url, { task: 'x', extra: true })).status).toBe(422);
  });

  it('returns the task unchanged and no context when there are no units', async () => {
    const task = 'Write a haiku about autumn';
    const body = await generate(url, { task }, empty);
    expect(body.relevant_context).toEqual([]);
    expect(body.generated_prompt).toBe(task);
    expect(body.original_task).toBe(task);
  });
});

describe('prompt templates', () => {
  it('lays out the full prompt as the v1 API does', async () => {
    const word = token();
    await create({ type: 'fact', content: `Layout fact ${word}`, confidence: 0.5, tags: ['x', 'y z'] });
    await create({ type: 'preference', content: `Layout preference ${word}`, confidence: 0.8 });
    const body = await generate('/generate-prompt', { task: `Do the ${word} task`, max_context_units: 2 });
    const units = body.relevant_context.map((r) => r.context_unit);
    expect(units.map((u) => u.content).sort()).toEqual([`Layout fact ${word}`, `Layout preference ${word}`]);
    expect(body.generated_prompt).toBe(
      `# Context\n\n\n## Preferences\n- [✓] Layout preference ${word}\n\n## Facts\n- [~] Layout fact ${word}\n  (Tags: x, y z)` +
        `\n\n# Task\n\nDo the ${word} task\n\n# Instructions\n\n` +
        'Please complete the task above, taking into account the provided context.\n' +
        'Align your response with the stated preferences, goals, and decisions.',
    );
  });

  it('lays out the compact prompt as the v1 API does, in ranking order with a trailing newline', async () => {
    const word = token();
    await create({ type: 'goal', content: `Compact goal ${word}`, tags: ['t'] });
    await create({ type: 'fact', content: `Compact fact ${word}` });
    const body = await generate('/generate-prompt/compact', { task: `Compact ${word} task`, max_context_units: 2 });
    const [first, second] = body.relevant_context.map((r) => r.context_unit.content);
    expect([first, second].sort()).toEqual([`Compact fact ${word}`, `Compact goal ${word}`]);
    expect(body.generated_prompt).toBe(
      `Given the following context about the user:\n\n• ${first}\n• ${second}\n\nTask: Compact ${word} task\n`,
    );
  });
});

describe('ranking follows writes at once', () => {
  it('uses the current confidence, tags and status of a unit, and returns the unit as stored now', async () => {
    const unit = await create({
      type: 'fact',
      content: 'The quokkaloop service rotates its logs weekly',
      confidence: 0.9,
    });
    const task = 'how does the quokkaloop service handle its logs for zebrafinch';
    const first = (await generate('/generate-prompt', { task })).relevant_context.find(
      (r) => r.context_unit.id === unit.id,
    );
    expect(first?.score_breakdown.confidence).toBe(0.9);
    expect(first?.score_breakdown.matched_tags).toEqual([]);

    const updated = await inject(app, {
      method: 'PUT',
      url: `/contexts/${unit.id}`,
      payload: { confidence: 0.4, tags: ['zebrafinch'], content: 'The quokkaloop service rotates its logs daily' },
    });
    expect(updated.statusCode, updated.body).toBe(200);
    const second = (await generate('/generate-prompt', { task })).relevant_context.find(
      (r) => r.context_unit.id === unit.id,
    );
    expect(second?.score_breakdown.confidence).toBe(0.4);
    expect(second?.score_breakdown.matched_tags).toEqual(['zebrafinch']);
    expect(second?.context_unit.content).toBe('The quokkaloop service rotates its logs daily');
    expect(second?.context_unit.tags).toEqual(['zebrafinch']);

    const superseded = await inject(app, {
      method: 'PUT',
      url: `/contexts/${unit.id}`,
      payload: { status: 'superseded' },
    });
    expect(superseded.statusCode, superseded.body).toBe(200);
    const ids = (await generate('/generate-prompt', { task, max_context_units: 20 })).relevant_context.map(
      (r) => r.context_unit.id,
    );
    expect(ids).not.toContain(unit.id);

    await inject(app, { method: 'PUT', url: `/contexts/${unit.id}`, payload: { status: 'active' } });
    const again = await generate('/generate-prompt', { task, max_context_units: 20 });
    expect(again.relevant_context.map((r) => r.context_unit.id)).toContain(unit.id);
    const deleted = await inject(app, { method: 'DELETE', url: `/contexts/${unit.id}` });
    expect(deleted.statusCode).toBe(204);
    const afterDelete = await generate('/generate-prompt', { task, max_context_units: 20 });
    expect(afterDelete.relevant_context.map((r) => r.context_unit.id)).not.toContain(unit.id);
  });

  it('shares one tag list between units with the same tags without mixing them up', async () => {
    const a = await create({ type: 'goal', content: 'Ship the marmoset release notes', tags: ['marmoset', 'docs'] });
    const b = await create({ type: 'goal', content: 'Review the marmoset migration plan', tags: ['marmoset', 'docs'] });
    await inject(app, { method: 'PUT', url: `/contexts/${b.id}`, payload: { tags: ['marmoset'] } });
    const ranked = (await generate('/generate-prompt', { task: 'marmoset docs', max_context_units: 20 }))
      .relevant_context;
    const tagsOf = (id: string) => ranked.find((r) => r.context_unit.id === id)?.score_breakdown.matched_tags;
    expect(tagsOf(a.id)).toEqual(['marmoset', 'docs']);
    expect(tagsOf(b.id)).toEqual(['marmoset']);
  });
});
