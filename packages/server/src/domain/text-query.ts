/**
 * Turning a task into full-text query terms. The same terms feed SQLite FTS5, PostgreSQL tsquery and the in-memory
 * BM25 index, so that the three back ends rank alike.
 */

// Common English function words: they match almost every unit and only add noise and cost to BM25.
const STOP_WORDS = new Set(
  (
    'a about above after again against all am an and any are as at be because been before being below between both ' +
    'but by can could did do does doing down during each few for from further had has have having he her here hers ' +
    'herself him himself his how i if in into is it its itself just me more most my myself no nor not now of off on ' +
    'once only or other our ours ourselves out over own same she should so some such than that the their theirs them ' +
    'themselves then there these they this those through to too under until up very was we were what when where which ' +
    'while who whom why will with would you your yours yourself yourselves s t don didn doesn isn wasn'
  ).split(' '),
);

/** Maximum number of distinct terms sent to the full-text engine for one query. */
export const MAX_QUERY_TERMS = 64;

/** Lower-cased word terms of a text, stop words dropped, de-duplicated, in first-seen order. */
export function queryTerms(text: string): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const match of text.toLowerCase().matchAll(/[\p{L}\p{N}]+/gu)) {
    const term = match[0];
    if (STOP_WORDS.has(term) || seen.has(term)) {
      continue;
    }
    seen.add(term);
    out.push(term);
    if (out.length >= MAX_QUERY_TERMS) {
      break;
    }
  }
  return out;
}

/** An FTS5 MATCH expression: every term quoted (so no query syntax can be injected), joined with OR. */
export function fts5Query(terms: readonly string[]): string {
  return terms.map((t) => `"${t.replace(/"/g, '""')}"`).join(' OR ');
}
