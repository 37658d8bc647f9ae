import { homedir } from 'node:os';

import { createClient, type ContextPilotClient } from '@contextpilot/client';

import { configPath, readConfig, type SavedConfig } from './config-file.js';
import { resolveConnection, type Connection, type ConnectionFlags } from './connection.js';
import { createOutput, type Output } from './output.js';

/** The global options, as commander parses them. */
export interface GlobalOptions extends ConnectionFlags {
  json?: boolean;
}

/** What a command runs with: where to print, and (read on first use) the configuration and a client. */
export interface CommandContext {
  output: Output;
  env: Record<string, string | undefined>;
  /** Where `login` saves and every command reads the configuration. */
  configPath: string;
  flags: ConnectionFlags;
  savedConfig(): Promise<SavedConfig>;
  connection(): Promise<Connection>;
  /** A client for the resolved connection (`fetch`: a wrapper of the global fetch, e.g. to count upload progress). */
  client(options?: { fetch?: typeof fetch }): Promise<ContextPilotClient>;
  /** The server URL once resolved (for messages about an unreachable server). */
  readonly serverUrl: string | null;
}

export function createCommandContext(options: GlobalOptions, env: Record<string, string | undefined>): CommandContext {
  const path = configPath(env, env.HOME || homedir());
  const flags: ConnectionFlags = { url: options.url, apiKey: options.apiKey, signingSecret: options.signingSecret };
  let saved: Promise<SavedConfig> | null = null;
  let resolved: Connection | null = null;
  const context: CommandContext = {
    output: createOutput(options.json === true),
    env,
    configPath: path,
    flags,
    savedConfig: () => (saved ??= readConfig(path)),
    async connection() {
      resolved ??= resolveConnection(flags, env, await context.savedConfig());
      return resolved;
    },
    async client(clientOptions = {}) {
      const { url, apiKey, signingSecret } = await context.connection();
      return createClient({ baseUrl: url, apiKey, signingSecret, ...clientOptions });
    },
    get serverUrl() {
      return resolved?.url ?? null;
    },
  };
  return context;
}
