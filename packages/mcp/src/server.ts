import { McpServer, ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult, ToolAnnotations } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';

import { ApiError } from '@contextpilot/client';
import {
  CONTEXT_TYPES,
  ContextIdParams,
  ContextUnit,
  ContextUnitCreate,
  ContextUnitUpdate,
  GeneratedPrompt,
  ListContextsQuery,
  RankedContextUnit,
  Stats,
  SupersedeRequest,
  TaskRequest,
} from '@contextpilot/contract';
import { hasScope, missingScopeMessage, type Scope } from '@contextpilot/contract/scopes';

import type { ContextBackend } from './backend.js';
import { renderPrompt, renderRanked, renderStats, renderUnit, renderUnits } from './render.js';

/**
 * The REST budget a call counts against, so that MCP gives no way around the API's rate limits: `create` as
 * `POST /contexts`, `rank` and `rank-compact` as `POST /generate-prompt` and its compact form.
 */
export type CallCost = 'create' | 'rank' | 'rank-compact';

/** What the transport knows of the request behind a call (over HTTP: what its authentication left). */
export interface CallInfo {
  authInfo?: { scopes?: readonly string[]; extra?: Record<string, unknown> } | undefined;
}

/** A tool call, prompt or resource read refused for a scope its caller lacks. */
export interface ForbiddenCall {
  /** The scope it needs. */
  scope: Scope;
  kind: 'tool' | 'prompt' | 'resource';
  /** The tool's or prompt's name, or the resource's URI. */
  name: string;
}

export interface McpServerOptions {
  /** The version announced to clients. */
  version?: string;
  /** Runs before each call that has a cost; throwing refuses the call with the error's message (a rate limit). */
  beforeCall?: (cost: CallCost, info: CallInfo) => Promise<void>;
  /**
   * The message for an error the backend threw, as the API would send it; null for an unexpected error, which the
   * client sees as a generic failure. An `ApiError` of the SDK is always shown with its message.
   */
  describeError?: (error: unknown) => string | null;
  /** Hears every unexpected error (never shown to the client). */
  onUnexpectedError?: (error: unknown) => void;
  /**
   * The scopes of the caller of one call (over HTTP: those of the request's API key, from `authInfo`). Each tool,
   * prompt and resource needs the scope it declares; a call without it is refused with the API's 403 message, and the
   * lists (tools, prompts, resources) still name everything. Left out, nothing is checked here: over stdio to a
   * server, the server checks every call it receives; an embedded server passes its owner's scopes.
   */
  grantedScopes?: (info: CallInfo) => Iterable<Scope>;
  /** Hears every call refused for a missing scope (the server records it in its audit log). */
  onForbidden?: (call: ForbiddenCall, info: CallInfo) => void;
}

/** Whether a caller holds a scope, and the refusal of a call whose caller lacks the one it needs. */
interface Access {
  allows(scope: Scope, info: CallInfo): boolean;
  /** The message refusing `call` (heard by `onForbidden`), or null when its caller may go ahead. */
  refusal(call: ForbiddenCall, info: CallInfo): string | null;
}

/** What the resources (every unit, the units of a type, one unit) need: they read units. */
const RESOURCE_SCOPE: Scope = 'contexts:read';
/** What the prompt `with-my-context` needs: it ranks units for a task, as `POST /generate-prompt` does. */
const PROMPT_SCOPE: Scope = 'prompts';

/** The message of an unexpected failure: no stack, path or SQL reaches the client. */
export const UNEXPECTED_ERROR_MESSAGE = 'Internal server error';

const id = ContextIdParams.shape.context_id.describe('Id of the context unit');

/**
 * A copy of a contract object schema for a tool's input or output. The contract's schemas carry ids for the OpenAPI
 * document, and the JSON Schema of a schema with an id is a bare reference, where MCP needs an object schema at the
 * top. Strict schemas stay strict.
 */
function toolSchema<S extends z.ZodObject>(schema: S): S {
  // Same shape and strictness, a new schema: the type is the original's.
  return schema.extend({}) as unknown as S;
}

/** Units listed in a resource, at most: the REST list's default page. */
const RESOURCE_LIST_LIMIT = 100;

const READ: ToolAnnotations = { readOnlyHint: true, openWorldHint: false };

/**
 * Every tool: the scope it needs (that of the REST route doing the same work), what it takes and returns, and its
 * truthful hints. The input schemas are the REST API's.
 */
const TOOLS = {
  search_context: {
    scope: 'prompts',
    title: 'Search context',
    description:
      'Rank the stored context units (preferences, goals, decisions, facts) for a task: the best matches first, each with its relevance_score in [0,1] and how it was made (score_breakdown). Records them as used.',
    input: z.strictObject({
      task: TaskRequest.shape.task.describe('What you are working on'),
      max_results: TaskRequest.shape.max_context_units.describe('How many units at most (default 5)'),
      min_score: TaskRequest.shape.min_score.describe('Leave out units scoring below this (0..1)'),
      types: TaskRequest.shape.types.describe('Only units of these types'),
      tags: TaskRequest.shape.tags.describe('Only units having any of these tags'),
    }),
    output: z.object({ task: z.string(), results: z.array(RankedContextUnit) }),
    annotations: { ...READ, title: 'Search context' },
    cost: 'rank',
  },
  compose_prompt: {
    scope: 'prompts',
    title: 'Compose prompt',
    description:
      "Compose a prompt for a task from the user's most relevant context units: the full layout, grouped by type, or a compact one.",
    input: TaskRequest.extend({
      compact: z.boolean().default(false).describe('The compact layout instead of the full one'),
    }),
    output: toolSchema(GeneratedPrompt),
    annotations: { ...READ, title: 'Compose prompt' },
    cost: ({ compact }: { compact: boolean }): CallCost => (compact ? 'rank-compact' : 'rank'),
  },
  add_context: {
    scope: 'contexts:write',
    title: 'Add context',
    description:
      'Store a new context unit: a preference, goal, decision or fact about the user, with a confidence (0..1), tags and a source.',
    input: toolSchema(ContextUnitCreate),
    output: toolSchema(ContextUnit),
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
    cost: 'create',
  },
  update_context: {
    scope: 'contexts:write',
    title: 'Update context',
    description: 'Change fields of a context unit; fields left out stay as they are.',
    input: ContextUnitUpdate.extend({ id }),
    output: toolSchema(ContextUnit),
    annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
    cost: null,
  },
  supersede_context: {
    scope: 'contexts:write',
    title: 'Supersede context',
    description:
      'Replace an active context unit with a new one (fields left out are taken from the old unit). The old unit is kept, marked superseded by the new one, and no longer used.',
    input: SupersedeRequest.extend({ id }),
    output: toolSchema(ContextUnit),
    annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: false },
    cost: 'create',
  },
  delete_context: {
    scope: 'contexts:write',
    title: 'Delete context',
    description: 'Delete a context unit for good.',
    input: z.strictObject({ id }),
    output: z.object({ deleted: z.literal(true), id: z.string() }),
    annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
    cost: null,
  },
  list_contexts: {
    scope: 'contexts:read',
    title: 'List contexts',
    description:
      'List context units in the order they were added, filtered by type, tags (comma-separated), text or status, a page at a time (limit, offset).',
    input: toolSchema(ListContextsQuery),
    output: z.object({ units: z.array(ContextUnit), count: z.number().int() }),
    annotations: { ...READ, title: 'List contexts' },
    cost: null,
  },
  get_context: {
    scope: 'contexts:read',
    title: 'Get context',
    description: 'Read one context unit by id.',
    input: z.strictObject({ id }),
    output: toolSchema(ContextUnit),
    annotations: { ...READ, title: 'Get context' },
    cost: null,
  },
  context_stats: {
    scope: 'contexts:read',
    title: 'Context statistics',
    description: 'Counts of context units: total, active, superseded, by type, and the embedding model.',
    input: z.strictObject({}),
    output: toolSchema(Stats),
    annotations: { ...READ, title: 'Context statistics' },
    cost: null,
  },
} as const;

export type McpToolName = keyof typeof TOOLS;
export const MCP_TOOL_NAMES = Object.keys(TOOLS) as McpToolName[];
/** The scope each tool needs, as declared with the tool. */
export const MCP_TOOL_SCOPES = Object.fromEntries(MCP_TOOL_NAMES.map((name) => [name, TOOLS[name].scope])) as Record<
  McpToolName,
  Scope
>;

type ToolInput<N extends McpToolName> = z.output<(typeof TOOLS)[N]['input']>;
type ToolOutput<N extends McpToolName> = z.output<(typeof TOOLS)[N]['output']>;

/** What a tool gives back: the structured result and its short text rendering. */
interface ToolResult<N extends McpToolName> {
  structured: ToolOutput<N>;
  text: string;
}

/**
 * An MCP server over `backend`: the tools above, the context units as resources (`contextpilot://contexts`, one per
 * type, and `contextpilot://contexts/{id}`) with list-changed notifications, and the prompt `with-my-context`. Every
 * failure of a tool is a tool error (`isError: true`) carrying the API's message, never a protocol error or a stack.
 * Connect it to one transport; `close()` stops its change notifications.
 */
export function createMcpServer(backend: ContextBackend, options: McpServerOptions = {}): McpServer {
  const server = new McpServer(
    { name: 'contextpilot', title: 'ContextPilot', version: options.version ?? '1.0.0' },
    {
      capabilities: { tools: {}, resources: { listChanged: true }, prompts: {} },
      instructions:
        "ContextPilot holds the user's preferences, goals, decisions and facts. Call search_context (or compose_prompt) with the task at hand before answering, and add_context or supersede_context when the user states something lasting about themselves.",
    },
  );

  function messageOf(error: unknown): string {
    if (error instanceof ApiError) {
      return error.message;
    }
    const described = options.describeError?.(error) ?? null;
    if (described === null) {
      options.onUnexpectedError?.(error);
    }
    return described ?? UNEXPECTED_ERROR_MESSAGE;
  }

  const access: Access = {
    allows: (scope, info) => options.grantedScopes === undefined || hasScope(options.grantedScopes(info), scope),
    refusal(call, info) {
      if (access.allows(call.scope, info)) {
        return null;
      }
      options.onForbidden?.(call, info);
      return missingScopeMessage(call.scope);
    },
  };

  function tool<N extends McpToolName>(name: N, run: (input: ToolInput<N>) => Promise<ToolResult<N>>): void {
    const spec = TOOLS[name];
    server.registerTool(
      name,
      {
        title: spec.title,
        description: spec.description,
        inputSchema: spec.input,
        outputSchema: spec.output,
        annotations: spec.annotations,
      },
      // The SDK has validated the arguments against `inputSchema` before this runs.
      async (input: unknown, extra: CallInfo): Promise<CallToolResult> => {
        const refused = access.refusal({ scope: spec.scope, kind: 'tool', name }, extra);
        if (refused !== null) {
          return { content: [{ type: 'text', text: refused }], isError: true };
        }
        try {
          const args = input as ToolInput<N>;
          const cost: CallCost | null = typeof spec.cost === 'function' ? spec.cost(args as never) : spec.cost;
          if (cost !== null) {
            await options.beforeCall?.(cost, extra);
          }
          const result = await run(args);
          return {
            content: [{ type: 'text', text: result.text }],
            structuredContent: result.structured,
          };
        } catch (error) {
          return { content: [{ type: 'text', text: messageOf(error) }], isError: true };
        }
      },
    );
  }

  tool('search_context', async ({ task, ...filters }) => {
    const results = await backend.search({ task, ...filters });
    return { structured: { task, results }, text: renderRanked(results) };
  });
  tool('compose_prompt', async ({ compact, ...request }) => {
    const generated = await backend.composePrompt(request, compact);
    return { structured: generated, text: renderPrompt(generated) };
  });
  tool('add_context', async (input) => {
    const unit = await backend.add(input);
    return { structured: unit, text: `Added ${renderUnit(unit)}` };
  });
  tool('update_context', async ({ id: unitId, ...patch }) => {
    const unit = await backend.update(unitId, patch);
    return { structured: unit, text: `Updated ${renderUnit(unit)}` };
  });
  tool('supersede_context', async ({ id: oldId, ...input }) => {
    const unit = await backend.supersede(oldId, input);
    return { structured: unit, text: `Superseded ${oldId} by ${renderUnit(unit)}` };
  });
  tool('delete_context', async ({ id: unitId }) => {
    await backend.delete(unitId);
    return { structured: { deleted: true, id: unitId }, text: `Deleted ${unitId}` };
  });
  tool('list_contexts', async (query) => {
    const units = await backend.list(query);
    return { structured: { units, count: units.length }, text: renderUnits(units) };
  });
  tool('get_context', async ({ id: unitId }) => {
    const unit = await backend.get(unitId);
    return { structured: unit, text: renderUnit(unit) };
  });
  tool('context_stats', async () => {
    const stats = await backend.stats();
    return { structured: stats, text: renderStats(stats) };
  });

  registerResources(server, backend, messageOf, access);

  server.registerPrompt(
    'with-my-context',
    {
      title: 'With my context',
      description: "The task, preceded by the user's most relevant preferences, goals, decisions and facts.",
      argsSchema: { task: TaskRequest.shape.task.describe('What you are working on') },
    },
    async ({ task }, extra: CallInfo) => {
      const refused = access.refusal({ scope: PROMPT_SCOPE, kind: 'prompt', name: 'with-my-context' }, extra);
      if (refused !== null) {
        throw new Error(refused);
      }
      try {
        await options.beforeCall?.('rank', extra);
        const generated = await backend.composePrompt({ task }, false);
        return { messages: [{ role: 'user', content: { type: 'text', text: generated.generated_prompt } }] };
      } catch (error) {
        // Prompts have no error result: the failure is the request's error, with the API's message.
        throw new Error(messageOf(error));
      }
    },
  );

  const stopWatching = backend.watch(() => {
    if (server.isConnected()) {
      server.sendResourceListChanged();
    }
  });
  const close = server.close.bind(server);
  server.close = async () => {
    stopWatching();
    await close();
  };
  return server;
}

/**
 * The units as resources: all active ones, the active ones of each type, and each unit by id. Reading one needs
 * `RESOURCE_SCOPE`; without it the template lists no units.
 */
function registerResources(
  server: McpServer,
  backend: ContextBackend,
  messageOf: (error: unknown) => string,
  access: Access,
): void {
  const json = (uri: URL, value: unknown) => ({
    contents: [{ uri: uri.href, mimeType: 'application/json', text: JSON.stringify(value, null, 2) }],
  });
  async function load<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw new Error(messageOf(error));
    }
  }
  /** A resource read: refused without the scope, else what `run` loads. */
  function read<T>(uri: URL, info: CallInfo, run: () => Promise<T>): Promise<T> {
    const refused = access.refusal({ scope: RESOURCE_SCOPE, kind: 'resource', name: uri.href }, info);
    return refused === null ? load(run) : Promise.reject(new Error(refused));
  }

  server.registerResource(
    'contexts',
    'contextpilot://contexts',
    {
      title: 'Active context units',
      description: `The active context units, oldest first (at most ${RESOURCE_LIST_LIMIT}).`,
      mimeType: 'application/json',
    },
    async (uri, extra: CallInfo) =>
      json(uri, await read(uri, extra, () => backend.list({ limit: RESOURCE_LIST_LIMIT }))),
  );
  for (const type of CONTEXT_TYPES) {
    server.registerResource(
      `contexts-${type}`,
      `contextpilot://contexts/${type}`,
      {
        title: `Active ${type} units`,
        description: `The active context units of type ${type}, oldest first (at most ${RESOURCE_LIST_LIMIT}).`,
        mimeType: 'application/json',
      },
      async (uri, extra: CallInfo) =>
        json(uri, await read(uri, extra, () => backend.list({ type, limit: RESOURCE_LIST_LIMIT }))),
    );
  }
  server.registerResource(
    'context',
    new ResourceTemplate('contextpilot://contexts/{id}', {
      // Listing, like tools/list, is no refusal: a caller that may not read units is shown none.
      list: async (extra: CallInfo) => {
        if (!access.allows(RESOURCE_SCOPE, extra)) {
          return { resources: [] };
        }
        const units = await load(() => backend.list({ limit: RESOURCE_LIST_LIMIT }));
        return {
          resources: units.map((unit) => ({
            uri: `contextpilot://contexts/${encodeURIComponent(unit.id)}`,
            name: unit.id,
            title: `${unit.type}: ${unit.content.length > 60 ? `${unit.content.slice(0, 59)}…` : unit.content}`,
            mimeType: 'application/json',
          })),
        };
      },
    }),
    { title: 'Context unit', description: 'One context unit by id.', mimeType: 'application/json' },
    async (uri, variables, extra: CallInfo) => {
      const unitId = variables.id;
      if (typeof unitId !== 'string') {
        throw new Error('Give one context unit id');
      }
      return json(uri, await read(uri, extra, () => backend.get(decodeURIComponent(unitId))));
    },
  );
}
