import type { ListContextsParams } from '@contextpilot/client';
import type {
  ContextType,
  ContextUnit,
  ContextUnitCreate,
  ContextUnitUpdate,
  GeneratedPrompt,
  RankedContextUnit,
  Stats,
  SupersedeRequest,
  TaskRequest,
} from '@contextpilot/contract';

/** What `search_context` asks for: the units that matter for a task, best first. */
export interface SearchRequest {
  task: string;
  max_results?: number | undefined;
  min_score?: number | undefined;
  types?: ContextType[] | undefined;
  tags?: string[] | undefined;
}

/**
 * The operations the MCP tools, resources and prompts need, in the wire types of the REST API. One implementation
 * calls a running server through the client SDK (`createClientBackend`); the server's own calls its services
 * directly. Every method throws the API's error (an `ApiError` of the SDK, or the server's error) for a refused input,
 * an unknown id or a limit.
 */
export interface ContextBackend {
  search(request: SearchRequest): Promise<RankedContextUnit[]>;
  composePrompt(request: TaskRequest, compact: boolean): Promise<GeneratedPrompt>;
  add(input: ContextUnitCreate): Promise<ContextUnit>;
  update(id: string, patch: ContextUnitUpdate): Promise<ContextUnit>;
  /** Returns the new unit; the old one is superseded by it. */
  supersede(id: string, input: SupersedeRequest): Promise<ContextUnit>;
  delete(id: string): Promise<void>;
  list(query: ListContextsParams): Promise<ContextUnit[]>;
  get(id: string): Promise<ContextUnit>;
  stats(): Promise<Stats>;
  /** Calls `listener` when units may have changed; returns the function that stops it. */
  watch(listener: () => void): () => void;
}
