import type { Config } from '../../config.js';
import type { Embedder } from './embedder.js';
import { createUseLiteEmbedder } from './use-lite.js';

/** The embedder chosen by configuration (USE-lite locally unless an HTTP provider is configured). */
export async function createEmbedder(config: Config['embedding'], onLog: (message: string) => void): Promise<Embedder> {
  switch (config.provider) {
    case 'use-lite':
      return createUseLiteEmbedder({
        maxWorkers: config.workers,
        maxChunks: config.maxChunks,
        deadlineMs: config.timeoutMs,
        onLog,
      });
    case 'ollama': {
      const { createOllamaEmbedder } = await import('./ollama.js');
      return createOllamaEmbedder({
        baseUrl: config.baseUrl || 'http://127.0.0.1:11434',
        model: config.model,
        timeoutMs: config.timeoutMs,
        maxChunks: config.maxChunks,
      });
    }
    case 'openai-compatible': {
      const { createOpenAiCompatibleEmbedder } = await import('./openai-compatible.js');
      return createOpenAiCompatibleEmbedder({
        baseUrl: config.baseUrl || 'https://api.openai.com',
        model: config.model,
        apiKey: config.apiKey || undefined,
        timeoutMs: config.timeoutMs,
        dimensions: config.dimensions ?? undefined,
        maxChunks: config.maxChunks,
      });
    }
  }
}
