/**
 * Vectors for the evaluation: computed once with the real embedder (documents as the server embeds units, queries
 * as it embeds tasks) and then served from the vector cache.
 */
import type { Embedder } from '../src/providers/embeddings/embedder.js';
import type { EmbeddingKind, VectorCache } from './vector-cache.js';

/** Documents per worker request: large enough to keep the workers busy, small enough for steady progress. */
const DOCUMENT_BATCH = 32;

export interface EmbeddingNeeds {
  documents: readonly string[];
  queries: readonly string[];
}

/** Texts of each kind that the cache does not hold yet (de-duplicated). */
export function missingTexts(cache: VectorCache, needs: EmbeddingNeeds): EmbeddingNeeds {
  const missing = (kind: EmbeddingKind, texts: readonly string[]) =>
    [...new Set(texts)].filter((t) => cache.get(kind, t) === undefined);
  return { documents: missing('document', needs.documents), queries: missing('query', needs.queries) };
}

/**
 * Embeds the given texts into the cache, reporting progress as `done` of `total` texts. Requests are submitted
 * together so that the embedder's worker pool can use several workers.
 */
export async function embedInto(
  cache: VectorCache,
  embedder: Pick<Embedder, 'embedDocuments' | 'embedQuery'>,
  texts: EmbeddingNeeds,
  onProgress: (done: number, total: number) => void,
): Promise<void> {
  const total = texts.documents.length + texts.queries.length;
  let done = 0;
  const advance = (n: number) => {
    done += n;
    onProgress(done, total);
  };
  const batches: Promise<void>[] = [];
  for (let i = 0; i < texts.documents.length; i += DOCUMENT_BATCH) {
    const batch = texts.documents.slice(i, i + DOCUMENT_BATCH);
    batches.push(
      embedder.embedDocuments(batch).then((vectors) => {
        batch.forEach((text, j) => cache.set('document', text, vectors[j] ?? []));
        advance(batch.length);
      }),
    );
  }
  for (const text of texts.queries) {
    batches.push(
      embedder.embedQuery(text).then((vector) => {
        cache.set('query', text, [vector]);
        advance(1);
      }),
    );
  }
  await Promise.all(batches);
}

/** The slice of an embedder the search service uses, answering queries from the cache only. */
export function cachedQueryEmbedder(
  cache: VectorCache,
  model: Pick<Embedder, 'modelId' | 'dimension'>,
): Pick<Embedder, 'modelId' | 'dimension' | 'embedQuery'> {
  return {
    modelId: model.modelId,
    dimension: model.dimension,
    embedQuery(text) {
      const vector = cache.get('query', text)?.[0];
      return vector === undefined
        ? Promise.reject(new Error('query vector missing from the evaluation cache'))
        : Promise.resolve(vector);
    },
  };
}

/** The cached chunk vectors of a document; throws when the cache lacks it (a bug: everything is embedded first). */
export function documentVectors(cache: VectorCache, text: string): Float32Array[] {
  const vectors = cache.get('document', text);
  if (vectors === undefined || vectors.length === 0) {
    throw new Error('document vectors missing from the evaluation cache');
  }
  return vectors;
}
