import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';

import { ErrorEnvelope, GeneratedPrompt, TaskRequest } from '@contextpilot/contract';

import type { PromptService } from '../../services/prompt-service.js';
import { presentPrompt } from '../present.js';

/** `POST /generate-prompt` and `/generate-prompt/compact` (API v1 §3.11). */
export function promptRoutes(app: FastifyInstance, options: { prompts: PromptService }): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  for (const compact of [false, true]) {
    r.post(
      compact ? '/generate-prompt/compact' : '/generate-prompt',
      {
        config: { rateLimit: 50 },
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
        const result = await options.prompts.generate({
          task: request.body.task,
          maxContextUnits: request.body.max_context_units,
          minScore: request.body.min_score,
          compact,
        });
        // Server-Timing lets clients and the benchmark see the embedding and ranking cost of the request.
        void reply.header(
          'server-timing',
          `embed;dur=${result.timings.embedMs.toFixed(2)}, rank;dur=${result.timings.rankMs.toFixed(2)}`,
        );
        return presentPrompt(result);
      },
    );
  }
}
