export type { ContextBackend, SearchRequest } from './backend.js';
export { createClientBackend } from './client-backend.js';
export {
  createMcpServer,
  MCP_TOOL_NAMES,
  MCP_TOOL_SCOPES,
  UNEXPECTED_ERROR_MESSAGE,
  type CallCost,
  type CallInfo,
  type ForbiddenCall,
  type McpServerOptions,
  type McpToolName,
} from './server.js';
export { runStdioServer } from './stdio.js';
