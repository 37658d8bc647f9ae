import type { ContextPilotClient } from '@contextpilot/client';

import type { ContextBackend } from './backend.js';

/**
 * The backend of a server reached through the client SDK: it authenticates and signs like any client, and meets the
 * server's limits and rules. Changes are reported for the writes made through it (a server does not push its own).
 */
export function createClientBackend(client: ContextPilotClient): ContextBackend {
  const listeners = new Set<() => void>();
  async function changing<T>(write: Promise<T>): Promise<T> {
    const result = await write;
    for (const listener of [...listeners]) {
      listener();
    }
    return result;
  }

  return {
    async search({ task, max_results, min_score, types, tags }) {
      const generated = await client.generatePrompt({ task, max_context_units: max_results, min_score, types, tags });
      return generated.relevant_context;
    },
    composePrompt: (request, compact) =>
      compact ? client.generateCompactPrompt(request) : client.generatePrompt(request),
    add: (input) => changing(client.createContext(input)),
    update: (id, patch) => changing(client.updateContext(id, patch)),
    supersede: (id, input) => changing(client.supersedeContext(id, input)),
    delete: (id) => changing(client.deleteContext(id)),
    list: (query) => client.listContexts(query),
    get: (id) => client.getContext(id),
    stats: () => client.stats(),
    watch(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
