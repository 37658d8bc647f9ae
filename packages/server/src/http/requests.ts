import type { ContextUnitUpdate, ListContextsQuery, TaskRequest } from '@contextpilot/contract';
import type { z } from 'zod';

import type { ContextPatch, ListContextsInput } from '../services/context-service.js';
import type { PromptRequest } from '../services/prompt-service.js';

/**
 * Request bodies and queries of the REST API (parsed by their contract schemas) as the services take them: the REST
 * routes and the MCP tools, which take the same schemas, share these.
 */

/** The fields a `PUT /contexts/{id}` body sets. */
export function toPatch({ superseded_by: supersededBy, ...fields }: ContextUnitUpdate): ContextPatch {
  return { ...fields, supersededBy };
}

export function toListInput(q: z.output<typeof ListContextsQuery>): ListContextsInput {
  return {
    includeSuperseded: q.include_superseded,
    type: q.type,
    tags: q.tags,
    search: q.search,
    statusFilter: q.status_filter,
    limit: q.limit,
    offset: q.offset,
  };
}

export function toPromptRequest(
  body: z.output<typeof TaskRequest>,
  compact: boolean,
  signal?: AbortSignal,
): PromptRequest {
  return {
    task: body.task,
    maxContextUnits: body.max_context_units,
    minScore: body.min_score,
    filter: { types: body.types, tags: body.tags },
    compact,
    signal,
  };
}
