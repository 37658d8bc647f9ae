import { join, resolve } from 'node:path';
import { writeFileSync } from 'node:fs';
import { loadLocomo, turnContent } from './dataset.js';
import { openVectorCache } from './vector-cache.js';
import { evaluateConversation } from './evaluate.js';
import { USE_LITE_MODEL_ID } from '../src/providers/embeddings/use-lite.js';
import { cosine } from './fusion.js';
import type { Configuration } from './configurations.js';

const data = loadLocomo('/work/shared/data/locomo');
const cache = openVectorCache(resolve('/work/main/.eval-cache'), USE_LITE_MODEL_ID, 512, console.log);
const rows: unknown[] = [];
const dump: Configuration = {
  name: 'dump',
  rank: ({ task, candidates, queryVector, units }) => {
    const lex = candidates.filter((c) => c.lexical > 0).sort((a, b) => b.lexical - a.lexical).map((c) => c.unit.id);
    const sem = units.map((u) => ({ id: u.id, s: Math.max(...u.vectors.map((v) => cosine(queryVector, v))) })).sort((a, b) => b.s - a.s).map((x) => x.id);
    rows.push({ task, lex, sem: sem.slice(0, 300), n: units.length, ncand: candidates.length });
    return [];
  },
};
for (const conv of data.conversations) {
  const res = await evaluateConversation(conv, { configurations: [dump], pool: 200, cache, model: { modelId: USE_LITE_MODEL_ID, dimension: 512 } });
  res.forEach((r, i) => Object.assign(rows[rows.length - res.length + i] as object, { q: r.question, server: r.rankings['search.rank() (server default)'] }));
}
writeFileSync('/tmp/explore.json', JSON.stringify(rows));
