#!/usr/bin/env node
/**
 * `contextpilot-mcp`: the MCP server over stdio for a running ContextPilot server, reached through the client SDK.
 * The server's URL, API key and request-signing secret come from CONTEXTPILOT_URL (default http://127.0.0.1:8000),
 * CONTEXTPILOT_API_KEY and CONTEXTPILOT_REQUEST_SIGNING_SECRET.
 */
import { createClient } from '@contextpilot/client';

import { createClientBackend } from './client-backend.js';
import { runStdioServer } from './stdio.js';

const env = process.env;
const client = createClient({
  baseUrl: (env.CONTEXTPILOT_URL || 'http://127.0.0.1:8000').replace(/\/+$/, ''),
  apiKey: env.CONTEXTPILOT_API_KEY || undefined,
  signingSecret: env.CONTEXTPILOT_REQUEST_SIGNING_SECRET || undefined,
});
const { closed } = await runStdioServer(createClientBackend(client), {
  // stdout carries the protocol: diagnostics go to stderr, without the error's details.
  onUnexpectedError: (error) =>
    process.stderr.write(`contextpilot-mcp: ${error instanceof Error ? error.message : String(error)}\n`),
});
await closed;
