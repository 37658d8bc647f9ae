import { createHash, randomUUID } from 'node:crypto';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import type { ContextType, ContextUnit } from '../domain/types.js';
import type {
  ContextFilter,
  ContextStore,
  ConversationRecord,
  ConversationStore,
  MessageRecord,
  NewApiKey,
  Person,
  SecurityEvent,
  SecurityEventStore,
  SettingsStore,
  Storage,
  UnitEmbedding,
} from './store.js';

/** A unit with plausible defaults; every test overrides what it checks. */
export function makeUnit(overrides: Partial<ContextUnit> = {}): ContextUnit {
  return {
    id: randomUUID(),
    type: 'fact',
    content: `plain note ${randomUUID()}`,
    confidence: 1,
    createdAt: '2026-01-02T03:04:05.678Z',
    lastUsed: null,
    source: 'manual',
    tags: [],
    status: 'active',
    supersededBy: null,
    ...overrides,
  };
}

export function makeEvent(overrides: Partial<SecurityEvent> = {}): SecurityEvent {
  return {
    id: randomUUID(),
    event: 'auth',
    outcome: 'success',
    requestId: null,
    method: null,
    path: null,
    clientIp: null,
    actor: null,
    details: {},
    createdAt: '2026-01-02T03:04:05.678Z',
    ...overrides,
  };
}

function makeConversation(overrides: Partial<ConversationRecord> = {}): ConversationRecord {
  return {
    id: randomUUID(),
    task: 'plan the week',
    promptType: 'full',
    createdAt: '2026-01-02T03:04:05.678Z',
    lastMessageAt: '2026-01-02T03:04:05.678Z',
    provider: 'openai',
    model: 'gpt-4o-mini',
    contextIds: [],
    ...overrides,
  };
}

function makeMessage(overrides: Partial<MessageRecord> = {}): MessageRecord {
  return {
    id: randomUUID(),
    role: 'assistant',
    content: 'a reply',
    createdAt: '2026-01-02T03:04:05.678Z',
    tokens: null,
    finishReason: null,
    model: null,
    contextIds: null,
    task: null,
    ...overrides,
  };
}

function embedding(modelId: string, ...vectors: number[][]): UnitEmbedding {
  return { modelId, vectors: vectors.map((v) => new Float32Array(v)) };
}

function filter(overrides: Partial<ContextFilter> = {}): ContextFilter {
  return { includeSuperseded: false, limit: 100, offset: 0, ...overrides };
}

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) {
    out.push(item);
  }
  return out;
}

async function insertAll(store: ContextStore, units: readonly ContextUnit[]): Promise<void> {
  for (const unit of units) {
    await store.insert(unit, null);
  }
}

/** Vectors stored under `modelId`, keyed by unit id, as plain number arrays. */
async function vectorsOf(
  store: ContextStore,
  modelId: string,
  ids?: readonly string[],
): Promise<Map<string, number[][]>> {
  const rows = await collect(store.readEmbeddings(modelId, ids));
  return new Map(rows.map((r) => [r.id, r.vectors.map((v) => Array.from(v))]));
}

/** Lower-case hex SHA-256 of a text: a key digest as the key service would store it. */
export function digestOf(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

const [T1, T2, T3] = ['2026-01-01T00:00:00.000Z', '2026-01-02T00:00:00.000Z', '2026-01-03T00:00:00.000Z'];

/** A key of `personId` with a digest of its name and plausible defaults; tests override what they check. */
export function newKey(personId: string, name: string): NewApiKey {
  return { personId, name, scopes: ['contexts:read'], digest: digestOf(`key ${name}`), createdAt: T1 };
}

const ids = (units: readonly ContextUnit[]): string[] => units.map((u) => u.id);
const sorted = (values: readonly string[]): string[] => [...values].sort();

/**
 * Defines the storage contract tests every back end must pass. `open` is called before each test and must return an
 * empty store; the store is closed after the test, then `cleanup` (if given) runs.
 */
export function describeStoreContract(name: string, open: () => Promise<Storage>, cleanup?: () => Promise<void>): void {
  describe(`storage contract: ${name}`, () => {
    let storage: Storage;
    let store: ContextStore;
    let settings: SettingsStore;
    let events: SecurityEventStore;
    let conversations: ConversationStore;

    beforeEach(async () => {
      storage = await open();
      store = storage.contexts;
      settings = storage.settings;
      events = storage.events;
      conversations = storage.conversations;
    });

    afterEach(async () => {
      await storage.close();
      await cleanup?.();
    });

    const newPerson = (name = 'someone'): Promise<Person> => storage.people.create({ name, createdAt: T1 });

    describe('get, insert, getMany, listAll', () => {
      it('returns null for an unknown id', async () => {
        expect(await store.get(randomUUID())).toBeNull();
      });

      it('round-trips every field of a unit, Unicode and tag order included', async () => {
        const unit = makeUnit({
          type: 'preference',
          content: 'Prefers naïve Ünïcode — 日本語, emoji 🚀👩‍👩‍👧 and "quotes" \'single\' \\ backslash\nnew line',
          confidence: 0.37,
          createdAt: '2025-12-31T23:59:59.123Z',
          source: 'import:json',
          tags: ['Zeta', 'alpha', 'Ünïcode', '🏷️', 'alpha beta'],
        });
        await store.insert(unit, null);
        expect(await store.get(unit.id)).toEqual(unit);
      });

      it('round-trips superseded units with last_used, superseded_by and boundary confidences', async () => {
        const newer = makeUnit({ confidence: 0 });
        const older = makeUnit({
          type: 'decision',
          status: 'superseded',
          supersededBy: newer.id,
          lastUsed: '2026-02-03T04:05:06.789Z',
          confidence: 1,
        });
        await insertAll(store, [newer, older]);
        expect(await store.get(newer.id)).toEqual(newer);
        expect(await store.get(older.id)).toEqual(older);
      });

      it('rejects a second insert with the same id and keeps the first unit', async () => {
        const unit = makeUnit({ content: 'first' });
        await store.insert(unit, null);
        await expect(store.insert({ ...unit, content: 'second' }, null)).rejects.toThrow();
        expect(await store.get(unit.id)).toEqual(unit);
        expect(await store.listAll()).toHaveLength(1);
      });

      it('lists every unit, superseded too, in insertion order rather than id order', async () => {
        const unitIds = sorted([randomUUID(), randomUUID(), randomUUID(), randomUUID()]).reverse();
        const units = unitIds.map((id, i) => makeUnit({ id, status: i === 1 ? 'superseded' : 'active' }));
        await insertAll(store, units);
        expect(await store.listAll()).toEqual(units);
      });

      it('getMany returns the requested units and ignores unknown ids', async () => {
        const units = [makeUnit(), makeUnit(), makeUnit({ status: 'superseded' })];
        await insertAll(store, units);
        const found = await store.getMany([units[2]!.id, randomUUID(), units[0]!.id]);
        expect(sorted(ids(found))).toEqual(sorted([units[2]!.id, units[0]!.id]));
        expect(found.find((u) => u.id === units[2]!.id)).toEqual(units[2]);
        expect(await store.getMany([])).toEqual([]);
      });
    });

    describe('list', () => {
      it('returns active units only, in insertion order, unless includeSuperseded is set', async () => {
        const units = [makeUnit(), makeUnit({ status: 'superseded' }), makeUnit()];
        await insertAll(store, units);
        expect(ids(await store.list(filter()))).toEqual([units[0]!.id, units[2]!.id]);
        expect(ids(await store.list(filter({ includeSuperseded: true })))).toEqual(ids(units));
      });

      it('filters by type', async () => {
        const units = [makeUnit({ type: 'goal' }), makeUnit({ type: 'fact' }), makeUnit({ type: 'goal' })];
        await insertAll(store, units);
        expect(ids(await store.list(filter({ type: 'goal' })))).toEqual([units[0]!.id, units[2]!.id]);
        expect(await store.list(filter({ type: 'preference' }))).toEqual([]);
      });

      it('filters by status, and superseded without includeSuperseded yields nothing', async () => {
        const units = [makeUnit(), makeUnit({ status: 'superseded' })];
        await insertAll(store, units);
        expect(ids(await store.list(filter({ includeSuperseded: true, status: 'superseded' })))).toEqual([
          units[1]!.id,
        ]);
        expect(ids(await store.list(filter({ includeSuperseded: true, status: 'active' })))).toEqual([units[0]!.id]);
        expect(await store.list(filter({ status: 'superseded' }))).toEqual([]);
      });

      it('keeps units having any of the tags, case-insensitively, non-ASCII included, whole tags only', async () => {
        const units = [
          makeUnit({ tags: ['Alpha', 'beta'] }),
          makeUnit({ tags: ['GAMMA'] }),
          makeUnit({ tags: ['Ünïcode', 'Straße'] }),
          makeUnit({ tags: [] }),
        ];
        await insertAll(store, units);
        expect(ids(await store.list(filter({ tags: ['ALPHA', 'gamma'] })))).toEqual([units[0]!.id, units[1]!.id]);
        expect(ids(await store.list(filter({ tags: ['üNÏCODE'] })))).toEqual([units[2]!.id]);
        expect(ids(await store.list(filter({ tags: ['STRASSE', 'straße'] })))).toEqual([units[2]!.id]);
        expect(await store.list(filter({ tags: ['alp'] }))).toEqual([]);
      });

      it('searches a case-insensitive substring of the content or of any tag', async () => {
        const units = [
          makeUnit({ content: 'Café Crème every morning' }),
          makeUnit({ content: 'unrelated', tags: ['Project-X'] }),
          makeUnit({ content: 'ÜBER ÄRGER' }),
          makeUnit({ content: 'nothing here' }),
        ];
        await insertAll(store, units);
        expect(ids(await store.list(filter({ search: 'CRÈME' })))).toEqual([units[0]!.id]);
        expect(ids(await store.list(filter({ search: 'ject-x' })))).toEqual([units[1]!.id]);
        expect(ids(await store.list(filter({ search: 'über är' })))).toEqual([units[2]!.id]);
        expect(await store.list(filter({ search: 'absent' }))).toEqual([]);
      });

      it('treats % and _ in the search text as plain characters', async () => {
        const units = [
          makeUnit({ content: '100% sure' }),
          makeUnit({ content: 'snake_case name' }),
          makeUnit({ content: 'abc' }),
        ];
        await insertAll(store, units);
        expect(ids(await store.list(filter({ search: '0%' })))).toEqual([units[0]!.id]);
        expect(ids(await store.list(filter({ search: '_' })))).toEqual([units[1]!.id]);
        expect(await store.list(filter({ search: 'a%c' }))).toEqual([]);
      });

      it('combines filters with AND', async () => {
        const units = [
          makeUnit({ type: 'goal', tags: ['work'], content: 'ship the release' }),
          makeUnit({ type: 'fact', tags: ['work'], content: 'ship the release' }),
          makeUnit({ type: 'goal', tags: ['home'], content: 'ship the release' }),
          makeUnit({ type: 'goal', tags: ['work'], content: 'other' }),
        ];
        await insertAll(store, units);
        expect(ids(await store.list(filter({ type: 'goal', tags: ['WORK'], search: 'release' })))).toEqual([
          units[0]!.id,
        ]);
      });

      it('pages with limit and offset after filtering', async () => {
        const units = [makeUnit(), makeUnit({ status: 'superseded' }), makeUnit(), makeUnit(), makeUnit()];
        await insertAll(store, units);
        const active = [units[0]!, units[2]!, units[3]!, units[4]!];
        expect(ids(await store.list(filter({ limit: 2, offset: 1 })))).toEqual(ids(active.slice(1, 3)));
        expect(await store.list(filter({ limit: 0 }))).toEqual([]);
        expect(await store.list(filter({ offset: 10 }))).toEqual([]);
        expect(ids(await store.list(filter({ limit: 10, offset: 3 })))).toEqual([units[4]!.id]);
      });
    });

    describe('update and delete', () => {
      it('replaces every field and keeps the insertion position', async () => {
        const units = [makeUnit(), makeUnit(), makeUnit()];
        await insertAll(store, units);
        const changed: ContextUnit = {
          ...units[0]!,
          type: 'goal',
          content: 'rewritten ✨',
          confidence: 0.25,
          lastUsed: '2026-03-04T05:06:07.008Z',
          source: 'api',
          tags: ['b', 'A'],
          status: 'superseded',
          supersededBy: units[1]!.id,
        };
        await store.update(changed);
        expect(await store.get(changed.id)).toEqual(changed);
        expect(ids(await store.listAll())).toEqual(ids(units));
      });

      it('keeps vectors when embedding is undefined, drops them on null, replaces them when given', async () => {
        const unit = makeUnit();
        await store.insert(unit, embedding('m1', [1, 0], [0, 1]));

        await store.update({ ...unit, confidence: 0.5 });
        expect((await vectorsOf(store, 'm1')).get(unit.id)).toEqual([
          [1, 0],
          [0, 1],
        ]);

        await store.update({ ...unit, content: 'new content' }, embedding('m1', [0.5, 0.5]));
        expect((await vectorsOf(store, 'm1')).get(unit.id)).toEqual([[0.5, 0.5]]);

        await store.update({ ...unit, content: 'newer content' }, null);
        expect((await vectorsOf(store, 'm1')).has(unit.id)).toBe(false);
        expect(await store.countPendingEmbeddings('m1')).toBe(1);
      });

      it('deletes a unit with its vectors and returns false for an unknown id', async () => {
        const [kept, gone] = [makeUnit(), makeUnit()];
        await store.insert(kept, embedding('m1', [1]));
        await store.insert(gone, embedding('m1', [2], [3]));
        expect(await store.delete(gone.id)).toBe(true);
        expect(await store.get(gone.id)).toBeNull();
        expect([...(await vectorsOf(store, 'm1')).keys()]).toEqual([kept.id]);
        expect(await store.delete(gone.id)).toBe(false);
        expect(await store.delete(randomUUID())).toBe(false);
        expect(ids(await store.listAll())).toEqual([kept.id]);
      });

      it('clears links to a deleted unit but keeps the linked units superseded', async () => {
        const replacement = makeUnit({ content: 'replacement' });
        await store.insert(replacement, null);
        const old = makeUnit({ content: 'old', status: 'superseded', supersededBy: replacement.id });
        await store.insert(old, null);
        const { lastSeq } = await store.changesSince(0);
        expect(await store.delete(replacement.id)).toBe(true);
        expect(await store.get(old.id)).toMatchObject({ status: 'superseded', supersededBy: null });
        expect((await store.changesSince(lastSeq)).ids).toEqual(expect.arrayContaining([replacement.id, old.id]));
      });
    });

    describe('supersede', () => {
      it('inserts the replacement with its vectors and marks the old unit superseded by it, in one write', async () => {
        const old = makeUnit({ content: 'old plan' });
        await store.insert(old, embedding('m1', [1, 0]));
        const { lastSeq } = await store.changesSince(0);
        const replacement = makeUnit({ content: 'new plan' });
        expect(await store.supersede(old.id, replacement, embedding('m1', [0, 1]))).toBe(true);
        expect(await store.get(replacement.id)).toEqual(replacement);
        expect(await store.get(old.id)).toEqual({ ...old, status: 'superseded', supersededBy: replacement.id });
        expect((await vectorsOf(store, 'm1')).get(replacement.id)).toEqual([[0, 1]]);
        expect((await vectorsOf(store, 'm1')).get(old.id)).toEqual([[1, 0]]);
        expect((await store.changesSince(lastSeq)).ids).toEqual(expect.arrayContaining([replacement.id, old.id]));
        expect((await store.textSearch(['old'], 10)).map((h) => h.id)).toEqual([]);
      });

      it('writes nothing when the old unit is missing or already superseded', async () => {
        const done = makeUnit({ status: 'superseded' });
        await store.insert(done, null);
        const { lastSeq } = await store.changesSince(0);
        for (const oldId of [done.id, randomUUID()]) {
          const replacement = makeUnit();
          expect(await store.supersede(oldId, replacement, embedding('m1', [1]))).toBe(false);
          expect(await store.get(replacement.id)).toBeNull();
        }
        expect(await store.get(done.id)).toEqual(done);
        expect(await vectorsOf(store, 'm1')).toEqual(new Map());
        expect((await store.changesSince(lastSeq)).ids).toEqual([]);
      });
    });

    describe('successors', () => {
      it('maps the next unit of the same non-manual source to its predecessor', async () => {
        const [a1, m1, a2, b1, a3] = [
          makeUnit({ source: 'chat-a' }),
          makeUnit({ source: 'manual' }),
          makeUnit({ source: 'chat-a' }),
          makeUnit({ source: 'chat-b' }),
          makeUnit({ source: 'chat-a' }),
        ];
        const m2 = makeUnit({ source: 'manual' });
        for (const unit of [a1, m1, a2, b1, a3, m2]) {
          await store.insert(unit, null);
        }
        const map = await store.successors([a1.id, a2.id, a3.id, b1.id, m1.id]);
        expect(map).toEqual(
          new Map([
            [a2.id, a1.id],
            [a3.id, a2.id],
          ]),
        );
        expect(await store.successors([])).toEqual(new Map());
      });
    });

    describe('importUnits', () => {
      it('upserts by id, keeps other units and appends new ones', async () => {
        const units = [makeUnit({ content: 'one' }), makeUnit({ content: 'two' })];
        await insertAll(store, units);
        const changed = { ...units[0]!, content: 'one, edited', tags: ['x'] };
        const added = makeUnit({ content: 'three' });
        await store.importUnits(
          [
            { unit: changed, embedding: null },
            { unit: added, embedding: null },
          ],
          { replaceExisting: false },
        );
        expect(await store.listAll()).toEqual([changed, units[1], added]);
      });

      it('stores given vectors, keeps old ones for unchanged content and drops them for changed content', async () => {
        const same = makeUnit({ content: 'same content' });
        const edited = makeUnit({ content: 'old content' });
        const fresh = makeUnit();
        await store.insert(same, embedding('m1', [1, 1]));
        await store.insert(edited, embedding('m1', [2, 2]));
        await store.importUnits(
          [
            { unit: { ...same, confidence: 0.5 }, embedding: null },
            { unit: { ...edited, content: 'new content' }, embedding: null },
            { unit: fresh, embedding: embedding('m1', [3, 3], [4, 4]) },
          ],
          { replaceExisting: false },
        );
        const vectors = await vectorsOf(store, 'm1');
        expect(vectors.get(same.id)).toEqual([[1, 1]]);
        expect(vectors.has(edited.id)).toBe(false);
        expect(vectors.get(fresh.id)).toEqual([
          [3, 3],
          [4, 4],
        ]);
      });

      it('with replaceExisting deletes every unit not in the batch, with its vectors', async () => {
        const [kept, gone] = [makeUnit(), makeUnit()];
        await store.insert(kept, embedding('m1', [1]));
        await store.insert(gone, embedding('m1', [2]));
        const added = makeUnit();
        await store.importUnits(
          [
            { unit: added, embedding: null },
            { unit: kept, embedding: null },
          ],
          { replaceExisting: true },
        );
        expect(ids(await store.listAll())).toEqual([kept.id, added.id]);
        expect([...(await vectorsOf(store, 'm1')).keys()]).toEqual([kept.id]);
      });

      it('with replaceExisting and an empty batch deletes everything', async () => {
        await insertAll(store, [makeUnit(), makeUnit({ status: 'superseded' })]);
        await store.importUnits([], { replaceExisting: true });
        expect(await store.listAll()).toEqual([]);
      });

      it.each([
        ['an invalid type', { type: 'opinion' as ContextType }],
        ['a confidence above 1', { confidence: 1.5 }],
      ])('writes nothing when one item has %s half-way through', async (_label, bad) => {
        const existing = makeUnit({ content: 'original' });
        const other = makeUnit();
        await store.insert(existing, embedding('m1', [1, 2]));
        await store.insert(other, embedding('m1', [3, 4]));
        const before = await store.listAll();
        const { lastSeq } = await store.changesSince(0);
        for (const replaceExisting of [false, true]) {
          await expect(
            store.importUnits(
              [
                { unit: { ...existing, content: 'overwritten' }, embedding: null },
                { unit: makeUnit(), embedding: embedding('m1', [5, 6]) },
                { unit: makeUnit(bad), embedding: null },
                { unit: makeUnit(), embedding: null },
              ],
              { replaceExisting },
            ),
          ).rejects.toThrow();
          expect(await store.listAll()).toEqual(before);
          expect(await vectorsOf(store, 'm1')).toEqual(
            new Map([
              [existing.id, [[1, 2]]],
              [other.id, [[3, 4]]],
            ]),
          );
          expect((await store.changesSince(lastSeq)).ids).toEqual([]);
        }
      });
    });

    describe('touchLastUsed', () => {
      it('sets last_used on the given units only and ignores unknown ids', async () => {
        const units = [makeUnit(), makeUnit({ lastUsed: '2020-01-01T00:00:00.000Z' }), makeUnit()];
        await insertAll(store, units);
        const at = '2026-05-06T07:08:09.010Z';
        await store.touchLastUsed([units[0]!.id, units[1]!.id, randomUUID()], at);
        await store.touchLastUsed([], '2030-01-01T00:00:00.000Z');
        expect((await store.listAll()).map((u) => u.lastUsed)).toEqual([at, at, null]);
      });

      it('does not report a change', async () => {
        const unit = makeUnit();
        await store.insert(unit, null);
        const { lastSeq } = await store.changesSince(0);
        await store.touchLastUsed([unit.id], '2026-05-06T07:08:09.010Z');
        expect((await store.changesSince(lastSeq)).ids).toEqual([]);
      });
    });

    describe('counts', () => {
      it('is all zeros for an empty store', async () => {
        expect(await store.counts('m1')).toEqual({ total: 0, active: 0, byType: {}, withEmbeddings: 0 });
      });

      it('counts active units per type in first-seen order and active units with vectors of the model', async () => {
        await store.insert(makeUnit({ type: 'goal' }), embedding('m1', [1]));
        await store.insert(makeUnit({ type: 'fact' }), embedding('m2', [1]));
        await store.insert(makeUnit({ type: 'goal' }), null);
        await store.insert(makeUnit({ type: 'preference', status: 'superseded' }), embedding('m1', [1]));
        await store.insert(makeUnit({ type: 'fact' }), embedding('m1', [1], [2]));
        const counts = await store.counts('m1');
        expect(counts).toEqual({ total: 5, active: 4, byType: { goal: 2, fact: 2 }, withEmbeddings: 2 });
        expect(Object.keys(counts.byType)).toEqual(['goal', 'fact']);
        expect((await store.counts('m2')).withEmbeddings).toBe(1);
        expect((await store.counts('other')).withEmbeddings).toBe(0);
      });
    });

    describe('textSearch', () => {
      it('matches stemmed word forms', async () => {
        const tuned = makeUnit({ content: 'We tuned the database indexes last week' });
        const running = makeUnit({ content: 'Running tests locally before pushing' });
        await insertAll(store, [tuned, running, makeUnit({ content: 'Lunch menu for Friday' })]);
        expect((await store.textSearch(['tuning'], 10)).map((h) => h.id)).toEqual([tuned.id]);
        expect((await store.textSearch(['runs'], 10)).map((h) => h.id)).toEqual([running.id]);
      });

      it('finds words in tags', async () => {
        const unit = makeUnit({ content: 'unrelated words', tags: ['kubernetes'] });
        await insertAll(store, [unit, makeUnit()]);
        expect((await store.textSearch(['kubernetes'], 10)).map((h) => h.id)).toEqual([unit.id]);
      });

      it('never returns superseded units', async () => {
        const active = makeUnit({ content: 'postgres migration plan' });
        const old = makeUnit({ content: 'postgres migration plan', status: 'superseded' });
        await insertAll(store, [old, active]);
        expect((await store.textSearch(['postgres', 'migration'], 10)).map((h) => h.id)).toEqual([active.id]);
      });

      it('follows status changes: a unit superseded leaves the index, one made active again returns', async () => {
        const unit = makeUnit({ content: 'quarterly roadmap review', tags: ['planning'] });
        const other = makeUnit({ content: 'roadmap draft' });
        await insertAll(store, [unit, other]);
        await store.update({ ...unit, status: 'superseded', supersededBy: other.id });
        expect((await store.textSearch(['roadmap'], 10)).map((h) => h.id)).toEqual([other.id]);
        expect(await store.textSearch(['planning'], 10)).toEqual([]);
        await store.update({ ...unit, content: 'quarterly roadmap review, revised', status: 'active' });
        expect(sorted((await store.textSearch(['roadmap'], 10)).map((h) => h.id))).toEqual(sorted([unit.id, other.id]));
        expect((await store.textSearch(['revised'], 10)).map((h) => h.id)).toEqual([unit.id]);
        await store.delete(unit.id);
        expect((await store.textSearch(['roadmap'], 10)).map((h) => h.id)).toEqual([other.id]);
        // Superseded in an import, then removed by a replacing import: the index never keeps a stale entry.
        const imported = makeUnit({ content: 'roadmap imported', status: 'superseded' });
        await store.importUnits([{ unit: imported, embedding: null }], { replaceExisting: false });
        expect((await store.textSearch(['imported'], 10)).map((h) => h.id)).toEqual([]);
        await store.importUnits([{ unit: { ...imported, status: 'active' }, embedding: null }], {
          replaceExisting: true,
        });
        expect((await store.textSearch(['roadmap'], 10)).map((h) => h.id)).toEqual([imported.id]);
      });

      it('returns positive scores, best first, at most limit hits', async () => {
        const both = makeUnit({ content: 'coffee and espresso notes' });
        const one = makeUnit({ content: 'coffee notes only' });
        const other = makeUnit({ content: 'espresso machine manual with many extra words around it' });
        await insertAll(store, [one, other, both, makeUnit({ content: 'tea' })]);
        const hits = await store.textSearch(['coffee', 'espresso'], 10);
        expect(sorted(hits.map((h) => h.id))).toEqual(sorted([both.id, one.id, other.id]));
        expect(hits[0]!.id).toBe(both.id);
        for (const [i, hit] of hits.entries()) {
          expect(hit.score).toBeGreaterThan(0);
          expect(hit.score).toBeLessThanOrEqual(hits[i - 1]?.score ?? Infinity);
        }
        const limited = await store.textSearch(['coffee', 'espresso'], 2);
        expect(limited.map((h) => h.id)).toEqual(hits.slice(0, 2).map((h) => h.id));
      });

      it('ranks a match in the content above a match in the tags', async () => {
        const inTags = makeUnit({ content: 'cluster notes misc', tags: ['kubernetes'] });
        const inContent = makeUnit({ content: 'kubernetes cluster notes', tags: ['misc'] });
        await insertAll(store, [inTags, inContent]);
        expect((await store.textSearch(['kubernetes'], 10)).map((h) => h.id)).toEqual([inContent.id, inTags.id]);
      });

      it('returns nothing for no terms, a zero limit or unknown words, and treats query syntax as text', async () => {
        await insertAll(store, [makeUnit({ content: 'alpha beta gamma' })]);
        expect(await store.textSearch([], 10)).toEqual([]);
        expect(await store.textSearch(['alpha'], 0)).toEqual([]);
        expect(await store.textSearch(['zzzunknown'], 10)).toEqual([]);
        const syntax = ["o'brien", 'a"b', 'x:*', 'c&d', 'e|f', '!g', '(h)', 'i\\j', 'NEAR', 'OR', 'AND', '*'];
        await expect(store.textSearch(syntax, 10)).resolves.toEqual([]);
      });
    });

    describe('embeddings', () => {
      it('reads Float32 values exactly, chunks in order, grouped per unit', async () => {
        const values = [0.1, -0.25, 1 / 3, 1e-7, -123.456, 3.4e38];
        const chunks = Array.from({ length: 12 }, (_, i) => values.map((v) => v / (i + 1)));
        const unit = makeUnit();
        await store.insert(unit, embedding('m1', ...chunks));
        const rows = await collect(store.readEmbeddings('m1'));
        expect(rows).toHaveLength(1);
        expect(rows[0]!.id).toBe(unit.id);
        expect(rows[0]!.status).toBe('active');
        expect(rows[0]!.vectors).toEqual(chunks.map((c) => new Float32Array(c)));
        expect(rows[0]!.vectors.every((v) => v instanceof Float32Array)).toBe(true);
      });

      it('filters by model and ids and reports each unit status', async () => {
        const a = makeUnit();
        const b = makeUnit({ status: 'superseded' });
        const c = makeUnit();
        await store.insert(a, embedding('m1', [1]));
        await store.insert(b, embedding('m1', [2]));
        await store.insert(c, embedding('m2', [3]));
        const all = await collect(store.readEmbeddings('m1'));
        expect(sorted(all.map((r) => r.id))).toEqual(sorted([a.id, b.id]));
        expect(all.find((r) => r.id === b.id)?.status).toBe('superseded');
        const some = await collect(store.readEmbeddings('m1', [b.id, c.id, randomUUID()]));
        expect(some.map((r) => [r.id, r.status, Array.from(r.vectors[0]!)])).toEqual([[b.id, 'superseded', [2]]]);
        expect(await collect(store.readEmbeddings('m1', []))).toEqual([]);
        expect(await collect(store.readEmbeddings('none'))).toEqual([]);
      });

      it('reads more than a page of chunks: every unit once, chunks in order, a unit straddling pages whole', async () => {
        const id = (i: number) => `page-${String(i).padStart(4, '0')}`;
        const chunksOf = (i: number) => (i === 998 ? 5 : 1);
        const items = Array.from({ length: 1_101 }, (_, i) => ({
          unit: makeUnit({ id: id(i) }),
          embedding: embedding('m1', ...Array.from({ length: chunksOf(i) }, (_, c) => [i, c])),
        }));
        await store.importUnits(items, { replaceExisting: false });
        const rows = await collect(store.readEmbeddings('m1'));
        expect(rows.map((r) => r.id)).toEqual(items.map((it) => it.unit.id));
        for (const [i, row] of rows.entries()) {
          expect(row.vectors.map((v) => Array.from(v))).toEqual(Array.from({ length: chunksOf(i) }, (_, c) => [i, c]));
        }
        const fields = await collect(store.readRankingFields());
        expect(fields.map((f) => f.id)).toEqual(items.map((it) => it.unit.id));
      });

      it('lists and counts units lacking vectors of a model, oldest first, up to limit', async () => {
        const units = [makeUnit(), makeUnit(), makeUnit(), makeUnit()];
        await store.insert(units[0]!, null);
        await store.insert(units[1]!, embedding('m1', [1]));
        await store.insert(units[2]!, embedding('m2', [1]));
        await store.insert(units[3]!, null);
        const all = await store.pendingEmbeddings('m1', 10);
        expect(ids(all.units)).toEqual([units[0]!.id, units[2]!.id, units[3]!.id]);
        expect(all.exhausted).toBe(true);
        expect(ids((await store.pendingEmbeddings('m1', 2)).units)).toEqual([units[0]!.id, units[2]!.id]);
        expect(ids((await store.pendingEmbeddings('m2', 10)).units)).toEqual([
          units[0]!.id,
          units[1]!.id,
          units[3]!.id,
        ]);
        expect(await store.countPendingEmbeddings('m1')).toBe(3);
        expect(await store.countPendingEmbeddings('m2')).toBe(3);
        expect(await store.countPendingEmbeddings('m3')).toBe(4);
      });

      it('continues a scan for units lacking vectors from where the last step stopped', async () => {
        const units = Array.from({ length: 7 }, () => makeUnit());
        for (const [i, unit] of units.entries()) {
          await store.insert(unit, i % 3 === 0 ? embedding('m1', [1]) : null);
        }
        const seen: string[] = [];
        let step = await store.pendingEmbeddings('m1', 2);
        for (let calls = 1; ; calls++) {
          seen.push(...ids(step.units));
          expect(step.units.length).toBeLessThanOrEqual(2);
          if (step.exhausted) {
            break;
          }
          expect(calls).toBeLessThan(10);
          step = await store.pendingEmbeddings('m1', 2, step.next);
        }
        expect(seen).toEqual(ids(units.filter((_, i) => i % 3 !== 0)));
        // Past the newest unit nothing is pending; a unit written later lies after the old position.
        expect(await store.pendingEmbeddings('m1', 2, step.next)).toMatchObject({ units: [], exhausted: true });
        const late = makeUnit();
        await store.insert(late, null);
        const fromStart = await store.pendingEmbeddings('m1', 10);
        expect(ids(fromStart.units)).toEqual([...seen, late.id]);
      });

      it('saveEmbeddings stores vectors when the content is unchanged, replacing older ones', async () => {
        const unit = makeUnit({ content: 'stable content' });
        await store.insert(unit, embedding('m0', [9], [9], [9]));
        expect(
          await store.saveEmbeddings([
            { id: unit.id, content: unit.content, embedding: embedding('m1', [1, 2], [3, 4]) },
          ]),
        ).toBe(1);
        expect(await vectorsOf(store, 'm1')).toEqual(
          new Map([
            [
              unit.id,
              [
                [1, 2],
                [3, 4],
              ],
            ],
          ]),
        );
        expect(await vectorsOf(store, 'm0')).toEqual(new Map());
        expect(await store.countPendingEmbeddings('m1')).toBe(0);
      });

      it('saveEmbeddings skips a unit whose content changed meanwhile or that is gone, and saves the others', async () => {
        const edited = makeUnit({ content: 'version 1' });
        const kept = makeUnit({ content: 'kept as is' });
        await insertAll(store, [edited, kept]);
        await store.update({ ...edited, content: 'version 2' });
        const { lastSeq } = await store.changesSince(0);
        const saved = await store.saveEmbeddings([
          { id: edited.id, content: 'version 1', embedding: embedding('m1', [1]) },
          { id: randomUUID(), content: 'version 1', embedding: embedding('m1', [1]) },
          { id: kept.id, content: kept.content, embedding: embedding('m1', [2]) },
        ]);
        expect(saved).toBe(1);
        expect(await vectorsOf(store, 'm1')).toEqual(new Map([[kept.id, [[2]]]]));
        expect(await store.countPendingEmbeddings('m1')).toBe(1);
        expect((await store.changesSince(lastSeq)).ids).toEqual([kept.id]);
        expect(await store.saveEmbeddings([])).toBe(0);
      });
    });

    describe('readRankingFields', () => {
      it('reads id, confidence, tags and status of every unit, or of the given ids', async () => {
        const a = makeUnit({ confidence: 0.35, tags: ['Work', 'café'] });
        const b = makeUnit({ status: 'superseded', confidence: 0.9 });
        const c = makeUnit();
        await insertAll(store, [a, b, c]);
        const fields = (u: ContextUnit) => ({
          id: u.id,
          type: u.type,
          confidence: u.confidence,
          tags: u.tags,
          status: u.status,
        });
        expect(await collect(store.readRankingFields())).toEqual([a, b, c].map(fields));
        expect(await collect(store.readRankingFields([c.id, randomUUID(), b.id]))).toEqual([b, c].map(fields));
        expect(await collect(store.readRankingFields([]))).toEqual([]);
      });
    });

    describe('changesSince', () => {
      it('starts empty', async () => {
        expect(await store.changesSince(0)).toEqual({ lastSeq: 0, ids: [], truncated: false });
      });

      it('reports ids written by insert, update, delete and saveEmbeddings, and advances lastSeq', async () => {
        const [a, b] = [makeUnit(), makeUnit()];
        await store.insert(a, null);
        const first = await store.changesSince(0);
        expect(first.ids).toEqual([a.id]);
        expect(first.lastSeq).toBeGreaterThan(0);
        expect(first.truncated).toBe(false);
        expect(await store.changesSince(first.lastSeq)).toEqual({ lastSeq: first.lastSeq, ids: [], truncated: false });

        await store.insert(b, null);
        await store.update({ ...a, content: 'edited' });
        await store.update({ ...a, content: 'edited twice' });
        const second = await store.changesSince(first.lastSeq);
        expect(sorted(second.ids)).toEqual(sorted([a.id, b.id]));
        expect(second.lastSeq).toBeGreaterThan(first.lastSeq);

        await store.delete(b.id);
        await store.delete(randomUUID());
        const third = await store.changesSince(second.lastSeq);
        expect(third.ids).toEqual([b.id]);

        await store.saveEmbeddings([{ id: a.id, content: 'edited twice', embedding: embedding('m1', [1]) }]);
        const fourth = await store.changesSince(third.lastSeq);
        expect(fourth.ids).toEqual([a.id]);
        expect(fourth.lastSeq).toBeGreaterThan(third.lastSeq);
        expect(sorted((await store.changesSince(0)).ids)).toEqual(sorted([a.id, b.id]));
      });

      it('reports ids upserted and replaced away by importUnits', async () => {
        const [gone, kept] = [makeUnit(), makeUnit()];
        await insertAll(store, [gone, kept]);
        const { lastSeq } = await store.changesSince(0);
        const added = makeUnit();
        await store.importUnits(
          [
            { unit: kept, embedding: null },
            { unit: added, embedding: null },
          ],
          { replaceExisting: true },
        );
        const batch = await store.changesSince(lastSeq);
        expect(sorted(batch.ids)).toEqual(sorted([gone.id, kept.id, added.id]));
        expect(batch.truncated).toBe(false);
      });
    });

    describe('settings', () => {
      it('returns null for an unknown key and an empty map when nothing is set', async () => {
        expect(await settings.get('missing')).toBeNull();
        expect(await settings.getAll()).toEqual(new Map());
      });

      it('sets, overwrites and deletes (null) values, several at once', async () => {
        await settings.set({ provider: 'openai', 'ui.theme': 'dark', greeting: 'Grüß dich 👋', empty: '' });
        expect(await settings.get('greeting')).toBe('Grüß dich 👋');
        expect(await settings.get('empty')).toBe('');
        await settings.set({ provider: 'anthropic', 'ui.theme': null, missing: null });
        expect(await settings.get('provider')).toBe('anthropic');
        expect(await settings.get('ui.theme')).toBeNull();
        expect(await settings.getAll()).toEqual(
          new Map([
            ['provider', 'anthropic'],
            ['greeting', 'Grüß dich 👋'],
            ['empty', ''],
          ]),
        );
      });
    });

    describe('security events', () => {
      const page = { limit: 100, offset: 0 };

      it('round-trips every field and lists newest first, later inserts first on equal times', async () => {
        const full = makeEvent({
          event: 'api_key_rotated',
          outcome: 'failure',
          requestId: 'req-1',
          method: 'POST',
          path: '/security/api-key/rotate',
          clientIp: '::1',
          actor: 'key:ab12',
          details: { reason: 'Ünïcode 🚀', nested: { n: 1.5, list: [true, null, 'x'] } },
          createdAt: '2026-01-02T03:04:06.000Z',
        });
        const [early, sameA, sameB] = [
          makeEvent({ createdAt: '2026-01-01T00:00:00.000Z' }),
          makeEvent({ createdAt: '2026-01-02T00:00:00.000Z' }),
          makeEvent({ createdAt: '2026-01-02T00:00:00.000Z' }),
        ];
        await events.insertMany([early, sameA, sameB]);
        await events.insertMany([full]);
        await events.insertMany([]);
        expect(await events.list(page)).toEqual([full, sameB, sameA, early]);
      });

      it('filters by event, outcome and request id, then pages', async () => {
        const list = [
          makeEvent({ event: 'auth', outcome: 'failure', requestId: 'r1', createdAt: '2026-01-01T00:00:01.000Z' }),
          makeEvent({ event: 'auth', outcome: 'success', requestId: 'r2', createdAt: '2026-01-01T00:00:02.000Z' }),
          makeEvent({ event: 'signature', outcome: 'failure', requestId: 'r2', createdAt: '2026-01-01T00:00:03.000Z' }),
          makeEvent({ event: 'auth', outcome: 'failure', requestId: 'r3', createdAt: '2026-01-01T00:00:04.000Z' }),
        ];
        await events.insertMany(list);
        const idsOf = (found: SecurityEvent[]): string[] => found.map((e) => e.id);
        expect(idsOf(await events.list({ ...page, event: 'auth' }))).toEqual([list[3]!.id, list[1]!.id, list[0]!.id]);
        expect(idsOf(await events.list({ ...page, outcome: 'failure', event: 'auth' }))).toEqual([
          list[3]!.id,
          list[0]!.id,
        ]);
        expect(idsOf(await events.list({ ...page, requestId: 'r2' }))).toEqual([list[2]!.id, list[1]!.id]);
        expect(idsOf(await events.list({ limit: 2, offset: 1 }))).toEqual([list[2]!.id, list[1]!.id]);
      });

      it('deletes events created before a time and returns how many', async () => {
        const list = [
          makeEvent({ createdAt: '2026-01-01T00:00:00.000Z' }),
          makeEvent({ createdAt: '2026-01-02T00:00:00.000Z' }),
          makeEvent({ createdAt: '2026-01-03T00:00:00.000Z' }),
        ];
        await events.insertMany(list);
        expect(await events.deleteBefore('2026-01-02T00:00:00.000Z')).toBe(1);
        expect(await events.deleteBefore('2026-01-02T00:00:00.000Z')).toBe(0);
        expect((await events.list(page)).map((e) => e.id)).toEqual([list[2]!.id, list[1]!.id]);
      });
    });

    describe('conversations', () => {
      const page = { limit: 100, offset: 0 };

      it('round-trips a conversation and its messages in order, and returns null for an unknown id', async () => {
        const conversation = makeConversation({
          task: 'Übersicht 🚀',
          promptType: 'compact',
          contextIds: [randomUUID(), randomUUID()],
        });
        const messages = [
          makeMessage({ role: 'system', content: 'be brief' }),
          makeMessage({
            role: 'user',
            content: 'full prompt',
            contextIds: conversation.contextIds,
            task: 'Übersicht 🚀',
          }),
          makeMessage({ content: 'answer ✅', tokens: 42, finishReason: 'stop', model: 'gpt-4o-mini' }),
        ];
        await conversations.create(conversation, messages);
        expect(await conversations.get(conversation.id)).toEqual({ ...conversation, messages });
        expect(await conversations.get(randomUUID())).toBeNull();
      });

      it('appends a turn and updates provider, model and last activity; false for an unknown id', async () => {
        const conversation = makeConversation();
        const first = [makeMessage({ role: 'user', task: 'first' }), makeMessage()];
        await conversations.create(conversation, first);
        const update = { provider: 'anthropic', model: 'claude', lastMessageAt: '2026-01-03T00:00:00.000Z' };
        const second = [makeMessage({ role: 'user', task: 'second' }), makeMessage({ content: 'second reply' })];
        expect(await conversations.appendTurn(conversation.id, update, second)).toBe(true);
        expect(await conversations.get(conversation.id)).toEqual({
          ...conversation,
          ...update,
          messages: [...first, ...second],
        });
        expect(await conversations.appendTurn(randomUUID(), update, [makeMessage()])).toBe(false);
      });

      it('lists most recent activity first with message counts, pages and searches case-insensitively', async () => {
        const old = makeConversation({ task: 'Grocery LIST', lastMessageAt: '2026-01-01T00:00:00.000Z' });
        const recent = makeConversation({ task: 'release plan', lastMessageAt: '2026-01-05T00:00:00.000Z' });
        const middle = makeConversation({ task: 'misc', lastMessageAt: '2026-01-03T00:00:00.000Z' });
        await conversations.create(old, [makeMessage()]);
        await conversations.create(recent, [makeMessage(), makeMessage({ content: 'Straßenbahn timetable' })]);
        await conversations.create(middle, []);
        const listed = await conversations.list(page);
        expect(listed.map((c) => [c.id, c.messageCount])).toEqual([
          [recent.id, 2],
          [middle.id, 0],
          [old.id, 1],
        ]);
        expect(listed[0]).toEqual({ ...recent, messageCount: 2 });
        expect((await conversations.list({ limit: 1, offset: 1 })).map((c) => c.id)).toEqual([middle.id]);
        expect((await conversations.list({ ...page, search: 'grocery list' })).map((c) => c.id)).toEqual([old.id]);
        expect((await conversations.list({ ...page, search: 'STRAßENBAHN TIME' })).map((c) => c.id)).toEqual([
          recent.id,
        ]);
        expect((await conversations.list({ ...page, search: '' })).map((c) => c.id)).toEqual([
          recent.id,
          middle.id,
          old.id,
        ]);
      });

      it('deletes a conversation with its messages; false for an unknown id', async () => {
        const conversation = makeConversation();
        await conversations.create(conversation, [makeMessage()]);
        expect(await conversations.delete(conversation.id)).toBe(true);
        expect(await conversations.get(conversation.id)).toBeNull();
        expect(await conversations.delete(conversation.id)).toBe(false);
        expect(await conversations.list(page)).toEqual([]);
      });
    });

    describe('used signatures', () => {
      const digest = (n: number) => Buffer.alloc(32, n);

      it('records a digest once while it is unexpired, and again once it has expired', async () => {
        const { signatures } = storage;
        expect(await signatures.add(digest(1), 2_000, 1_000)).toBe(true);
        expect(await signatures.add(digest(1), 3_000, 1_500)).toBe(false);
        expect(await signatures.add(digest(1), 3_000, 1_999)).toBe(false);
        // Another digest is independent, even one that differs in a single byte.
        const near = digest(1);
        near[31] = 2;
        expect(await signatures.add(near, 3_000, 1_999)).toBe(true);
        expect(await signatures.add(digest(1), 5_000, 2_000)).toBe(true);
        expect(await signatures.add(digest(1), 6_000, 4_999)).toBe(false);
      });

      it('lets exactly one of concurrent adds of a digest win', async () => {
        const results = await Promise.all(
          Array.from({ length: 8 }, () => storage.signatures.add(digest(7), 10_000, 1_000)),
        );
        expect(results.filter(Boolean)).toHaveLength(1);
      });

      it('deletes expired digests and returns how many, keeping the others', async () => {
        const { signatures } = storage;
        await signatures.add(digest(1), 1_000, 0);
        await signatures.add(digest(2), 2_000, 0);
        await signatures.add(digest(3), 3_000, 0);
        expect(await signatures.deleteExpired(2_000)).toBe(2);
        expect(await signatures.deleteExpired(2_000)).toBe(0);
        expect(await signatures.add(digest(2), 4_000, 2_500)).toBe(true);
        expect(await signatures.add(digest(3), 4_000, 2_500)).toBe(false);
      });
    });

    describe('people', () => {
      it('creates an enabled person, with the given id or a new one, and gets it; null for an unknown id', async () => {
        const given = await storage.people.create({ id: 'person-1', name: 'Ada 👩‍🔬', createdAt: T1 });
        expect(given).toEqual({ id: 'person-1', name: 'Ada 👩‍🔬', createdAt: T1, disabled: false });
        const generated = await storage.people.create({ name: 'Bob', createdAt: T2 });
        expect(generated.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
        expect(await storage.people.get('person-1')).toEqual(given);
        expect(await storage.people.get(generated.id)).toEqual(generated);
        expect(await storage.people.get(randomUUID())).toBeNull();
      });

      it('refuses an id that is taken', async () => {
        await storage.people.create({ id: 'twice', name: 'first', createdAt: T1 });
        await expect(storage.people.create({ id: 'twice', name: 'second', createdAt: T2 })).rejects.toThrow();
        expect((await storage.people.list()).map((p) => p.name)).toEqual(['first']);
      });

      it('lists oldest first, by id on equal times', async () => {
        await storage.people.create({ id: 'c', name: 'late', createdAt: T3 });
        await storage.people.create({ id: 'b', name: 'tie b', createdAt: T1 });
        await storage.people.create({ id: 'a', name: 'tie a', createdAt: T1 });
        await storage.people.create({ id: 'd', name: 'middle', createdAt: T2 });
        expect((await storage.people.list()).map((p) => p.id)).toEqual(['a', 'b', 'd', 'c']);
      });

      it('updates the given fields only, and returns null for an unknown id', async () => {
        const person = await storage.people.create({ name: 'Ada', createdAt: T1 });
        expect(await storage.people.update(person.id, { disabled: true })).toEqual({ ...person, disabled: true });
        expect(await storage.people.update(person.id, { name: 'Ada L.' })).toEqual({
          ...person,
          name: 'Ada L.',
          disabled: true,
        });
        expect(await storage.people.update(person.id, { name: 'Ada', disabled: false })).toEqual(person);
        expect(await storage.people.update(person.id, {})).toEqual(person);
        expect(await storage.people.get(person.id)).toEqual(person);
        expect(await storage.people.update(randomUUID(), { name: 'nobody' })).toBeNull();
        expect(await storage.people.list()).toEqual([person]);
      });

      it('deletes a person with their keys only; false for an unknown id', async () => {
        const [gone, kept] = [await newPerson('gone'), await newPerson('kept')];
        const goneKey = await storage.apiKeys.create(newKey(gone.id, 'gone-key'));
        const keptKey = await storage.apiKeys.create(newKey(kept.id, 'kept-key'));
        expect(await storage.people.delete(gone.id)).toBe(true);
        expect(await storage.people.get(gone.id)).toBeNull();
        expect(await storage.people.delete(gone.id)).toBe(false);
        expect(await storage.apiKeys.get(goneKey.id)).toBeNull();
        expect(await storage.apiKeys.findByDigest(goneKey.digest)).toBeNull();
        expect(await storage.apiKeys.list()).toEqual([keptKey]);
        expect(await storage.people.list()).toEqual([kept]);
      });

      it('ensureFirst creates the first person once, then returns the oldest', async () => {
        const first = await storage.people.ensureFirst('Owner', T2);
        expect(first).toEqual({ id: expect.any(String) as string, name: 'Owner', createdAt: T2, disabled: false });
        expect(await storage.people.ensureFirst('Someone else', T3)).toEqual(first);
        const older = await storage.people.create({ name: 'Older', createdAt: T1 });
        expect(await storage.people.ensureFirst('Owner', T3)).toEqual(older);
        expect(await storage.people.list()).toEqual([older, first]);
      });

      it('ensureFirst called concurrently on an empty store creates exactly one person', async () => {
        // Connections opened first (where the back end pools them), so that the calls below really overlap.
        await Promise.all(Array.from({ length: 8 }, () => storage.people.list()));
        const results = await Promise.all(
          Array.from({ length: 8 }, (_, i) => storage.people.ensureFirst(`caller ${i}`, T1)),
        );
        const people = await storage.people.list();
        expect(people).toHaveLength(1);
        expect(results).toEqual(Array.from({ length: 8 }, () => people[0]));
      });
    });

    describe('API keys', () => {
      it('creates a key with defaults and round-trips every field; null for an unknown id', async () => {
        const person = await newPerson();
        const plain = await storage.apiKeys.create({
          personId: person.id,
          name: 'laptop',
          scopes: [],
          digest: digestOf('plain'),
          createdAt: T1,
        });
        expect(plain).toEqual({
          id: expect.stringMatching(/^[0-9a-f-]{36}$/) as string,
          personId: person.id,
          name: 'laptop',
          scopes: [],
          digest: digestOf('plain'),
          previousDigest: null,
          previousValidUntil: null,
          createdAt: T1,
          lastUsedAt: null,
          expiresAt: null,
          allowedNetworks: [],
          revokedAt: null,
        });
        const full = await storage.apiKeys.create({
          id: 'key-full',
          personId: person.id,
          name: 'Phone 📱',
          scopes: ['prompts', 'contexts:read', 'chat'],
          digest: digestOf('full'),
          createdAt: T2,
          expiresAt: T3,
          allowedNetworks: ['10.0.0.0/8', '2001:db8::/32'],
        });
        expect(full).toEqual({
          ...plain,
          id: 'key-full',
          name: 'Phone 📱',
          scopes: ['prompts', 'contexts:read', 'chat'],
          digest: digestOf('full'),
          createdAt: T2,
          expiresAt: T3,
          allowedNetworks: ['10.0.0.0/8', '2001:db8::/32'],
        });
        expect(await storage.apiKeys.get(plain.id)).toEqual(plain);
        expect(await storage.apiKeys.get('key-full')).toEqual(full);
        expect(await storage.apiKeys.get(randomUUID())).toBeNull();
      });

      it('refuses a digest that is taken or not lower-case hex SHA-256, a taken id and an unknown person', async () => {
        const person = await newPerson();
        const taken = await storage.apiKeys.create(newKey(person.id, 'taken'));
        const refused = [
          { ...newKey(person.id, 'dup'), digest: taken.digest },
          { ...newKey(person.id, 'upper'), digest: digestOf('upper').toUpperCase() },
          { ...newKey(person.id, 'short'), digest: digestOf('short').slice(1) },
          { ...newKey(person.id, 'long'), digest: `${digestOf('long')}0` },
          { ...newKey(person.id, 'plain key'), digest: 'cp_live_'.padEnd(64, 'x') },
          { ...newKey(person.id, 'id'), id: taken.id },
          newKey(randomUUID(), 'nobody'),
        ];
        for (const key of refused) {
          await expect(storage.apiKeys.create(key), key.name).rejects.toThrow();
        }
        expect(await storage.apiKeys.list()).toEqual([taken]);
      });

      it('lists every key newest first, later inserts first on equal times, for everyone or one person', async () => {
        const [ada, bob] = [await newPerson('ada'), await newPerson('bob')];
        const old = await storage.apiKeys.create({ ...newKey(ada.id, 'old'), createdAt: T1 });
        const tieA = await storage.apiKeys.create({ ...newKey(bob.id, 'tie a'), createdAt: T2 });
        const tieB = await storage.apiKeys.create({ ...newKey(ada.id, 'tie b'), createdAt: T2 });
        const newest = await storage.apiKeys.create({ ...newKey(ada.id, 'newest'), createdAt: T3 });
        expect(await storage.apiKeys.revoke(tieB.id, T3)).toBe(true);
        const revoked = { ...tieB, revokedAt: T3 };
        expect(await storage.apiKeys.list()).toEqual([newest, revoked, tieA, old]);
        expect(await storage.apiKeys.list({})).toEqual([newest, revoked, tieA, old]);
        expect(await storage.apiKeys.list({ personId: ada.id })).toEqual([newest, revoked, old]);
        expect(await storage.apiKeys.list({ personId: bob.id })).toEqual([tieA]);
        expect(await storage.apiKeys.list({ personId: randomUUID() })).toEqual([]);
      });

      it('finds a key by its current digest, whatever its expiry or revocation; null for any other digest', async () => {
        const person = await newPerson();
        const key = await storage.apiKeys.create({ ...newKey(person.id, 'k'), expiresAt: T1 });
        expect(await storage.apiKeys.findByDigest(key.digest)).toEqual({ key, matched: 'current' });
        await storage.apiKeys.revoke(key.id, T2);
        expect(await storage.apiKeys.findByDigest(key.digest)).toEqual({
          key: { ...key, revokedAt: T2 },
          matched: 'current',
        });
        expect(await storage.apiKeys.findByDigest(digestOf('unknown'))).toBeNull();
        expect(await storage.apiKeys.findByDigest(key.digest.toUpperCase())).toBeNull();
        expect(await storage.apiKeys.findByDigest('')).toBeNull();
      });

      it('rotates: the old digest becomes the previous one with its validity, and a second rotation forgets it', async () => {
        const person = await newPerson();
        const key = await storage.apiKeys.create(newKey(person.id, 'rotating'));
        const [first, second, third] = [digestOf('first'), digestOf('second'), digestOf('third')];
        const rotated = await storage.apiKeys.rotate(key.id, { digest: second, previousValidUntil: T2 });
        expect(rotated).toEqual({ ...key, digest: second, previousDigest: key.digest, previousValidUntil: T2 });
        expect(await storage.apiKeys.get(key.id)).toEqual(rotated);
        expect(await storage.apiKeys.findByDigest(second)).toEqual({ key: rotated, matched: 'current' });
        expect(await storage.apiKeys.findByDigest(key.digest)).toEqual({ key: rotated, matched: 'previous' });
        expect(first).not.toBe(key.digest);

        const again = await storage.apiKeys.rotate(key.id, { digest: third, previousValidUntil: T3 });
        expect(again).toEqual({ ...key, digest: third, previousDigest: second, previousValidUntil: T3 });
        expect(await storage.apiKeys.findByDigest(key.digest)).toBeNull();
        expect(await storage.apiKeys.findByDigest(second)).toEqual({ key: again, matched: 'previous' });
        expect(await storage.apiKeys.findByDigest(third)).toEqual({ key: again, matched: 'current' });
        expect(
          await storage.apiKeys.rotate(randomUUID(), { digest: digestOf('x'), previousValidUntil: T3 }),
        ).toBeNull();
        expect(await storage.apiKeys.findByDigest(digestOf('x'))).toBeNull();
      });

      it('refuses to rotate to a digest another key holds or a malformed one, and keeps the key as it was', async () => {
        const person = await newPerson();
        const [one, other] = [
          await storage.apiKeys.create(newKey(person.id, 'one')),
          await storage.apiKeys.create(newKey(person.id, 'other')),
        ];
        const rotatedOther = await storage.apiKeys.rotate(other.id, {
          digest: digestOf('other next'),
          previousValidUntil: T2,
        });
        for (const digest of [digestOf('other next'), 'not hex', digestOf('one next').toUpperCase()]) {
          await expect(storage.apiKeys.rotate(one.id, { digest, previousValidUntil: T2 }), digest).rejects.toThrow();
        }
        expect(await storage.apiKeys.get(one.id)).toEqual(one);
        expect(await storage.apiKeys.get(other.id)).toEqual(rotatedOther);
      });

      it('prefers the key whose current digest matches over one whose previous digest does', async () => {
        const person = await newPerson();
        const older = await storage.apiKeys.create(newKey(person.id, 'older'));
        const rotated = await storage.apiKeys.rotate(older.id, {
          digest: digestOf('older next'),
          previousValidUntil: T3,
        });
        // Cannot happen with random keys; the order is still defined.
        const reused = await storage.apiKeys.create({ ...newKey(person.id, 'reused'), digest: older.digest });
        expect(await storage.apiKeys.findByDigest(older.digest)).toEqual({ key: reused, matched: 'current' });
        expect(await storage.apiKeys.findByDigest(digestOf('older next'))).toEqual({
          key: rotated,
          matched: 'current',
        });
      });

      it('revokes once, keeping the row and the first revocation time; false for an unknown id', async () => {
        const person = await newPerson();
        const key = await storage.apiKeys.create(newKey(person.id, 'revoked'));
        expect(await storage.apiKeys.revoke(key.id, T2)).toBe(true);
        expect(await storage.apiKeys.revoke(key.id, T3)).toBe(true);
        expect(await storage.apiKeys.get(key.id)).toEqual({ ...key, revokedAt: T2 });
        expect(await storage.apiKeys.revoke(randomUUID(), T2)).toBe(false);
        expect(await storage.apiKeys.count()).toBe(1);
      });

      it('deletes a key; false for an unknown id', async () => {
        const person = await newPerson();
        const [gone, kept] = [
          await storage.apiKeys.create(newKey(person.id, 'gone')),
          await storage.apiKeys.create(newKey(person.id, 'kept')),
        ];
        expect(await storage.apiKeys.delete(gone.id)).toBe(true);
        expect(await storage.apiKeys.delete(gone.id)).toBe(false);
        expect(await storage.apiKeys.get(gone.id)).toBeNull();
        expect(await storage.apiKeys.findByDigest(gone.digest)).toBeNull();
        expect(await storage.apiKeys.list()).toEqual([kept]);
        expect(await storage.people.get(person.id)).toEqual(person);
      });

      it('moves the last use forward only, and ignores unknown ids', async () => {
        const person = await newPerson();
        const key = await storage.apiKeys.create(newKey(person.id, 'used'));
        await storage.apiKeys.touchLastUsed(key.id, T2);
        expect((await storage.apiKeys.get(key.id))?.lastUsedAt).toBe(T2);
        await storage.apiKeys.touchLastUsed(key.id, T1);
        expect((await storage.apiKeys.get(key.id))?.lastUsedAt).toBe(T2);
        await storage.apiKeys.touchLastUsed(key.id, T3);
        expect(await storage.apiKeys.get(key.id)).toEqual({ ...key, lastUsedAt: T3 });
        await storage.apiKeys.touchLastUsed(randomUUID(), T3);
        expect(await storage.apiKeys.count()).toBe(1);
      });

      it('creates many keys all or none, and counts them', async () => {
        const person = await newPerson();
        expect(await storage.apiKeys.count()).toBe(0);
        await storage.apiKeys.createMany([]);
        const batch = [newKey(person.id, 'a'), newKey(person.id, 'b'), newKey(person.id, 'c')];
        await expect(
          storage.apiKeys.createMany([...batch, { ...newKey(person.id, 'clash'), digest: batch[0]!.digest }]),
        ).rejects.toThrow();
        expect(await storage.apiKeys.count()).toBe(0);
        await storage.apiKeys.createMany(batch);
        expect(await storage.apiKeys.count()).toBe(3);
        const found = await storage.apiKeys.findByDigest(batch[1]!.digest);
        expect(found?.key).toMatchObject({ personId: person.id, name: 'b', scopes: ['contexts:read'] });
        expect((await storage.apiKeys.list()).map((k) => k.name)).toEqual(['c', 'b', 'a']);
      });

      it('finds each of 10,000 keys by digest, current or previous', async () => {
        const [ada, bob] = [await newPerson('ada'), await newPerson('bob')];
        const keys = Array.from({ length: 10_000 }, (_, i) => ({
          ...newKey(i % 2 === 0 ? ada.id : bob.id, `key ${i}`),
          id: `key-${i}`,
          digest: digestOf(`bulk ${i}`),
        }));
        await storage.apiKeys.createMany(keys);
        expect(await storage.apiKeys.count()).toBe(10_000);
        await storage.apiKeys.rotate('key-4321', { digest: digestOf('bulk 4321 next'), previousValidUntil: T3 });
        for (const i of [...Array.from({ length: 200 }, (_, n) => n * 50), 1, 7777, 9998, 9999]) {
          const found = await storage.apiKeys.findByDigest(digestOf(`bulk ${i}`));
          expect(found, `key ${i}`).toMatchObject({
            key: { id: `key-${i}`, name: `key ${i}`, personId: i % 2 === 0 ? ada.id : bob.id },
            matched: 'current',
          });
        }
        expect(await storage.apiKeys.findByDigest(digestOf('bulk 4321'))).toMatchObject({
          key: { id: 'key-4321', digest: digestOf('bulk 4321 next') },
          matched: 'previous',
        });
        expect(await storage.apiKeys.findByDigest(digestOf('bulk 4321 next'))).toMatchObject({
          key: { id: 'key-4321' },
          matched: 'current',
        });
        expect(await storage.apiKeys.findByDigest(digestOf('bulk 10000'))).toBeNull();
        expect((await storage.apiKeys.list({ personId: bob.id })).length).toBe(5_000);
      });
    });

    it('answers ping', async () => {
      await expect(store.ping()).resolves.toBeUndefined();
    });
  });
}
