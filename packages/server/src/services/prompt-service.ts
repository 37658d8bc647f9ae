import { composeCompactPrompt, composeFullPrompt } from '../domain/prompt.js';
import type { Ranked, RankFilter } from '../domain/ranking.js';
import { toTimestamp, type Clock, type ContextUnit } from '../domain/types.js';
import { cleanContent } from '../domain/unit-rules.js';
import { badRequest } from '../errors.js';
import type { ContextStore } from '../storage/store.js';
import { checked } from './input.js';
import type { RankTimings, SearchService } from './search-service.js';

export interface PromptRequest {
  task: string;
  /** Undefined: 5, or the configured limit when that is lower. */
  maxContextUnits: number | undefined;
  minScore?: number | undefined;
  /** Only units of these types / with these tags are selected. */
  filter?: RankFilter | undefined;
  compact: boolean;
  /** Aborted when the client went away. */
  signal?: AbortSignal | undefined;
}

export interface PromptResult {
  /** Time spent embedding the task and ranking (ms), for the Server-Timing header. */
  timings: RankTimings;
  task: string;
  ranked: Ranked<ContextUnit>[];
  prompt: string;
  timestamp: string;
}

/** Units selected when a request does not say how many. */
const DEFAULT_CONTEXT_UNITS = 5;

/** Selects the units that matter for a task and composes the prompt; persists `last_used` of the selected units. */
export function createPromptService(deps: {
  search: Pick<SearchService, 'rank'>;
  store: Pick<ContextStore, 'touchLastUsed'>;
  clock: Clock;
  limits: { maxContentLength: number; maxContextsPerRequest: number };
}) {
  /**
   * The request's own rules (task length and content, the context unit limit), with no I/O: callers that do more
   * than compose a prompt check these first. Returns the cleaned task and the number of units to select.
   *
   * @throws AppError 400 naming the broken rule.
   */
  function check(request: Pick<PromptRequest, 'task' | 'maxContextUnits'>): { task: string; limit: number } {
    const task = checked(() => cleanContent(request.task, deps.limits, 'task'));
    const limit = request.maxContextUnits ?? Math.min(DEFAULT_CONTEXT_UNITS, deps.limits.maxContextsPerRequest);
    if (limit > deps.limits.maxContextsPerRequest) {
      throw badRequest(`max_context_units exceeds limit of ${deps.limits.maxContextsPerRequest}`);
    }
    return { task, limit };
  }

  return {
    check,

    async generate(request: PromptRequest): Promise<PromptResult> {
      const { task, limit } = check(request);
      const timings: RankTimings = { embedMs: 0, rankMs: 0, lexicalMs: 0, denseMs: 0 };
      const ranked = await deps.search.rank(
        { task, limit, minScore: request.minScore, filter: request.filter, signal: request.signal },
        timings,
      );
      const timestamp = toTimestamp(deps.clock.now());
      if (ranked.length > 0) {
        await deps.store.touchLastUsed(
          ranked.map((r) => r.unit.id),
          timestamp,
        );
      }
      const selected = ranked.map((r) => ({ ...r, unit: { ...r.unit, lastUsed: timestamp } }));
      const units = selected.map((r) => r.unit);
      const prompt = request.compact ? composeCompactPrompt(task, units) : composeFullPrompt(task, units);
      return { task, ranked: selected, prompt, timestamp, timings };
    },
  };
}
export type PromptService = ReturnType<typeof createPromptService>;
