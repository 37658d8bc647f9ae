import {
  ContextUnitCreate,
  ContextUnitUpdate,
  ListContextsQuery,
  SupersedeRequest,
  TaskRequest,
} from '@contextpilot/contract';
import type { ContextBackend } from '@contextpilot/mcp';

import { presentContext } from '../http/present/contexts.js';
import { presentPrompt, presentRanked } from '../http/present/prompt.js';
import { toListInput, toPatch, toPromptRequest } from '../http/requests.js';
import { readStats } from '../http/routes/contexts.js';
import type { ChangeFeed } from '../services/change-feed.js';
import type { ContextService } from '../services/context-service.js';
import type { PromptService } from '../services/prompt-service.js';
import type { SearchService } from '../services/search-service.js';

/**
 * The MCP tools' backend inside this process: the services the REST routes call, their input read by the same
 * contract schemas and their results shaped by the same presenters. Nothing here is a rule of its own.
 */
export function createServiceBackend(deps: {
  contexts: ContextService;
  prompts: PromptService;
  search: Pick<SearchService, 'indexedUnits' | 'sync'>;
  changes: Pick<ChangeFeed, 'subscribe'>;
}): ContextBackend {
  const { contexts, prompts } = deps;
  return {
    async search({ task, max_results, min_score, types, tags }) {
      const body = TaskRequest.parse({ task, max_context_units: max_results, min_score, types, tags });
      const result = await prompts.generate(toPromptRequest(body, false));
      return result.ranked.map(presentRanked);
    },
    async composePrompt(request, compact) {
      return presentPrompt(await prompts.generate(toPromptRequest(TaskRequest.parse(request), compact)));
    },
    add: async (input) => presentContext(await contexts.create(ContextUnitCreate.parse(input))),
    update: async (id, patch) => presentContext(await contexts.update(id, toPatch(ContextUnitUpdate.parse(patch)))),
    supersede: async (id, input) => presentContext(await contexts.supersede(id, SupersedeRequest.parse(input))),
    delete: (id) => contexts.delete(id),
    list: async (query) => (await contexts.list(toListInput(ListContextsQuery.parse(query)))).map(presentContext),
    get: async (id) => presentContext(await contexts.get(id)),
    stats: () => readStats(contexts, deps.search),
    watch: (listener) => deps.changes.subscribe(listener),
  };
}
