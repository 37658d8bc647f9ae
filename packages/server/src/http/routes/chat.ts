import { PassThrough } from 'node:stream';

import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';

import {
  AIRequest,
  AIResponse,
  type ChatStreamEventData,
  type ChatStreamEventName,
  ConversationDetail,
  ConversationIdParams,
  ConversationList,
  ConversationListQuery,
  ErrorEnvelope,
  SCHEMA_LIMITS,
} from '@contextpilot/contract';

import type { ChatInput, ChatService } from '../../services/chat-service.js';
import type { ConversationService } from '../../services/conversation-service.js';
import {
  presentChat,
  presentConversation,
  presentConversationList,
  presentDelta,
  presentStreamMeta,
} from '../present/chat.js';
import { abortOnClose } from '../abort-on-close.js';
import { errorResponse, logError } from '../error-response.js';

const errors = {
  400: ErrorEnvelope,
  404: ErrorEnvelope,
  422: ErrorEnvelope,
  429: ErrorEnvelope,
  502: ErrorEnvelope,
  504: ErrorEnvelope,
};

function toInput(body: z.output<typeof AIRequest>): ChatInput {
  return {
    task: body.task,
    maxContextUnits: body.max_context_units,
    provider: body.provider,
    model: body.model,
    temperature: body.temperature,
    maxTokens: body.max_tokens,
    useCompact: body.use_compact,
    conversationId: body.conversation_id,
    minScore: body.min_score,
  };
}

/** One Server-Sent Event of the reply stream, typed by the contract's event table. */
function sseEvent<K extends ChatStreamEventName>(event: K, data: ChatStreamEventData<K>): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** AI chat (API v1), its streaming variant and conversation management. */
export function chatRoutes(
  app: FastifyInstance,
  options: { chat: ChatService; conversations: ConversationService },
): void {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.post(
    '/ai/chat',
    {
      config: { scope: 'chat', rateLimit: 10 },
      schema: {
        tags: ['chat'],
        summary: 'Send a task with the relevant contexts to a language model',
        description:
          '`provider` and `model` in the answer are the ones that actually answered. The conversation is saved only when the provider answers. Provider errors: 400 when the configuration or request is at fault (missing key, unknown model, rejected key, quota), 502 when the provider failed (including a redirect, which is never followed, and a reply over the size limit), 504 when it timed out.',
        body: AIRequest,
        response: { 200: AIResponse, ...errors },
      },
    },
    async (request) => presentChat(await options.chat.chat(toInput(request.body))),
  );

  r.post(
    '/ai/chat/stream',
    {
      config: { scope: 'chat', rateLimit: 10 },
      schema: {
        tags: ['chat'],
        summary: 'The same as /ai/chat, answered as Server-Sent Events',
        description:
          'Events: `meta` (conversation id, provider, model, contexts with scores, prompt), `delta` ({text}) per chunk, then `done` (the full AIResponse) or `error` (the error envelope plus `status`). A reply that reaches the size limit is cut there: its last delta ends with a truncation notice and `done` has `finish_reason` `reply_limit`. Errors found before the provider is called are ordinary JSON error responses. Closing the connection aborts the provider call and nothing is saved.',
        body: AIRequest,
        produces: ['text/event-stream'],
        response: errors,
      },
    },
    async (request, reply: FastifyReply) => {
      const signal = abortOnClose(reply);
      const stream = new PassThrough();
      let started = false;
      const start = () => {
        if (!started) {
          started = true;
          void reply
            .header('content-type', 'text/event-stream; charset=utf-8')
            .header('x-accel-buffering', 'no')
            .send(stream);
        }
      };
      try {
        // The stream schema has no 2xx response entry, so the body type is not inferred; it was validated above.
        const outcome = await options.chat.stream(toInput(request.body as z.output<typeof AIRequest>), {
          signal,
          onPlan: (plan) => {
            start();
            stream.write(sseEvent('meta', presentStreamMeta(plan)));
          },
          onDelta: (text) => stream.write(sseEvent('delta', presentDelta(text))),
        });
        stream.end(sseEvent('done', presentChat(outcome)));
      } catch (error) {
        if (!started) {
          throw error;
        }
        // The 200 status line is already sent: the error goes in the stream, as the envelope plus its status.
        const response = errorResponse(error, request.id);
        logError(request.log, error, response);
        stream.end(sseEvent('error', { ...response.body, status: response.status }));
      }
      return reply;
    },
  );

  r.get(
    '/ai/conversations',
    {
      config: { scope: 'chat' },
      schema: {
        tags: ['chat'],
        summary: 'Conversations, most recent activity first',
        querystring: ConversationListQuery,
        response: { 200: ConversationList, 422: ErrorEnvelope },
      },
    },
    async (request) => {
      const { offset, search } = request.query;
      // Clamped rather than refused, like /security/events: the original API had no bound and old clients send more.
      const limit = Math.min(request.query.limit, SCHEMA_LIMITS.maxConversationListLimit);
      const list = await options.conversations.list({ limit, offset, search });
      return presentConversationList(list, { limit, offset });
    },
  );

  r.get(
    '/ai/conversations/:conversation_id',
    {
      config: { scope: 'chat' },
      schema: {
        tags: ['chat'],
        summary: 'One conversation with its messages in order',
        params: ConversationIdParams,
        response: { 200: ConversationDetail, 404: ErrorEnvelope },
      },
    },
    async (request) => presentConversation(await options.conversations.get(request.params.conversation_id)),
  );

  r.delete(
    '/ai/conversations/:conversation_id',
    {
      config: { scope: 'chat' },
      schema: {
        tags: ['chat'],
        summary: 'Delete a conversation and its messages',
        params: ConversationIdParams,
        response: { 204: z.null().describe('No content'), 404: ErrorEnvelope },
      },
    },
    async (request, reply) => {
      await options.conversations.delete(request.params.conversation_id);
      return reply.code(204).send(null);
    },
  );
}
