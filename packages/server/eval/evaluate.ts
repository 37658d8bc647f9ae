/**
 * Runs every configuration on every question: one in-memory SQLite store and one search service per conversation,
 * the same code path as the server.
 */
import type { ContextUnit } from '../src/domain/types.js';
import { createSearchService, type SearchLogger } from '../src/services/search-service.js';
import { openSqlite } from '../src/storage/sqlite/sqlite-store.js';
import { SERVER_DEFAULT_NAME, type Configuration } from './configurations.js';
import { turnContent, type Conversation, type Question } from './dataset.js';
import { cachedQueryEmbedder, documentVectors } from './embeddings.js';
import type { LegacyUnit } from './fusion.js';
import { MAX_DEPTH } from './metrics.js';
import type { VectorCache } from './vector-cache.js';

/** Any fixed instant: ranking does not look at time. */
const CREATED_AT = '2024-01-01T00:00:00.000Z';

export interface QuestionResult {
  question: Question;
  conversation: string;
  /** Top `MAX_DEPTH` ids per configuration name (including the server's own `rank()`). */
  rankings: Record<string, string[]>;
}

export interface EvaluationOptions {
  configurations: readonly Configuration[];
  /** Candidates per retriever handed to the configurations. */
  pool: number;
  cache: VectorCache;
  model: { modelId: string; dimension: number };
}

function turnUnits(conversation: Conversation, cache: VectorCache): { unit: ContextUnit; vectors: Float32Array[] }[] {
  return conversation.turns.map((turn) => {
    const content = turnContent(turn);
    const unit: ContextUnit = {
      id: turn.id,
      type: 'fact',
      content,
      confidence: 1,
      createdAt: CREATED_AT,
      lastUsed: null,
      // One source per session: a session's turns are a sequence, as when a chat transcript is imported.
      source: `locomo:${conversation.sampleId}:${turn.id.split(':')[0] ?? ''}`,
      tags: [],
      status: 'active',
      supersededBy: null,
    };
    return { unit, vectors: documentVectors(cache, content) };
  });
}

/** A logger that keeps warnings: any warning (query embedding failed) makes the run invalid. */
function collectingLogger(warnings: string[]): SearchLogger {
  return {
    info: () => undefined,
    warn: (obj, msg) => warnings.push(`${msg} ${JSON.stringify(obj)}`),
  };
}

/** Ranks every question of one conversation under every configuration. */
export async function evaluateConversation(
  conversation: Conversation,
  options: EvaluationOptions,
): Promise<QuestionResult[]> {
  const storage = openSqlite(':memory:');
  const warnings: string[] = [];
  try {
    const entries = turnUnits(conversation, options.cache);
    for (const { unit, vectors } of entries) {
      await storage.contexts.insert(unit, { modelId: options.model.modelId, vectors });
    }
    const embedder = cachedQueryEmbedder(options.cache, options.model);
    const search = createSearchService({ store: storage.contexts, embedder, log: collectingLogger(warnings) });
    await search.init();
    const units: LegacyUnit[] = entries.map(({ unit, vectors }) => ({ ...unit, vectors }));
    const results: QuestionResult[] = [];
    for (const question of conversation.questions) {
      const { candidates, predecessorOf } = await search.candidates(question.text, options.pool, MAX_DEPTH);
      const queryVector = await embedder.embedQuery(question.text);
      const input = { task: question.text, candidates, predecessorOf, queryVector, units, turns: conversation.turns };
      const rankings: Record<string, string[]> = {};
      for (const configuration of options.configurations) {
        rankings[configuration.name] = configuration.rank(input);
      }
      const served = await search.rank({ task: question.text, limit: MAX_DEPTH });
      rankings[SERVER_DEFAULT_NAME] = served.map((r) => r.unit.id);
      results.push({ question, conversation: conversation.sampleId, rankings });
    }
    if (warnings.length > 0) {
      throw new Error(`search service warned, results would not be valid: ${warnings[0]}`);
    }
    return results;
  } finally {
    await storage.close();
  }
}
