import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';

import { ErrorEnvelope, GeneratedPrompt, TaskRequest } from '@contextpilot/contract';

import type { PromptService } from '../../services/prompt-service.js';
import { abortOnClose } from '../abort-on-close.js';
import { routeBudget } from '../plugins/rate-limit.js';
import { toPromptRequest } from '../requests.js';
import { presentPrompt } from '../present/prompt.js';

/** Rankings per minute per client IP of each prompt route, shared with the MCP tools that rank the same way. */
export const promptBudget = (compact: boolean) =>
  routeBudget('POST', compact ? '/generate-prompt/compact' : '/generate-prompt', 50);

/** `POST /generate-prompt` and `/generate-prompt/compact` (API v1). */
export function promptRoutes(app: FastifyInstance, options: { prompts: PromptService }): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  for (const compact of [false, true]) {
    r.post(
      compact ? '/generate-prompt/compact' : '/generate-prompt',
      {
        config: { scope: 'prompts', rateLimit: promptBudget(compact) },
        schema: {
          tags: ['prompts'],
          summary: compact
            ? 'Rank units for a task and compose the compact prompt'
            : 'Rank units for a task and compose the full prompt',
          body: TaskRequest,
          response: { 200: GeneratedPrompt, 400: ErrorEnvelope, 422: ErrorEnvelope },
        },
      },
      async (request, reply) => {
        const result = await options.prompts.generate(toPromptRequest(request.body, compact, abortOnClose(reply)));
        // Server-Timing lets clients and the benchmark see the embedding and ranking cost of the request (`fts` and
        // `dense` are the full-text and vector searches within `rank`).
        const { embedMs, rankMs, lexicalMs, denseMs } = result.timings;
        void reply.header(
          'server-timing',
          `embed;dur=${embedMs.toFixed(2)}, rank;dur=${rankMs.toFixed(2)}, fts;dur=${lexicalMs.toFixed(2)}, dense;dur=${denseMs.toFixed(2)}`,
        );
        return presentPrompt(result);
      },
    );
  }
}
