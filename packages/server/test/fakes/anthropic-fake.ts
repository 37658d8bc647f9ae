import {
  type ChatFake,
  type ChatFakeOptions,
  type ChatProtocol,
  FAKE_INPUT_TOKENS,
  type FakeAnswer,
  field,
  sse,
  startChatFake,
} from './openai-chat-fake.js';

export type { ChatFake, ChatFailureMode, RecordedChatRequest } from './openai-chat-fake.js';

export interface AnthropicFakeOptions extends ChatFakeOptions {
  /** When set, any other model gets Anthropic's 404 `not_found_error`. */
  models?: string[];
}

/** The API version whose Messages API has no sampling parameters (the version @anthropic-ai/sdk 1.x sends). */
export const SAMPLING_FREE_VERSION = '2026-10-21';

function anthropicError(status: number, type: string, message: string): FakeAnswer {
  return {
    kind: 'json',
    status,
    headers: { 'request-id': 'req_fake_error' },
    body: { type: 'error', error: { type, message }, request_id: 'req_fake_error' },
  };
}

/**
 * A loopback Anthropic Messages API: `POST /v1/messages` answers a message (JSON) or the SSE events message_start,
 * content_block_start, ping, content_block_delta (text_delta)…, content_block_stop, message_delta, message_stop.
 * Like the real API it requires `anthropic-version`, takes the key as `x-api-key` or `Authorization: Bearer`, and with
 * version 2026-10-21 refuses `temperature`, `top_p` and `top_k` with a 400.
 */
export function startAnthropicFake(options: AnthropicFakeOptions = {}): Promise<ChatFake> {
  let counter = 0;
  const protocol: ChatProtocol = {
    authorised: (request, apiKey) =>
      request.headers['x-api-key'] === apiKey || request.headers.authorization === `Bearer ${apiKey}`,

    handle(request, script) {
      if (request.method !== 'POST' || request.path !== '/v1/messages') {
        return anthropicError(404, 'not_found_error', 'Not Found');
      }
      const version = request.headers['anthropic-version'];
      if (typeof version !== 'string' || version === '') {
        return anthropicError(400, 'invalid_request_error', 'anthropic-version: header is required');
      }
      const body = request.body;
      const model = field(body, 'model');
      const maxTokens = field(body, 'max_tokens');
      const messages = field(body, 'messages');
      if (typeof model !== 'string') {
        return anthropicError(400, 'invalid_request_error', 'model: Field required');
      }
      if (typeof maxTokens !== 'number' || !Number.isInteger(maxTokens) || maxTokens < 1) {
        return anthropicError(400, 'invalid_request_error', 'max_tokens: Field required');
      }
      if (!Array.isArray(messages) || messages.length === 0) {
        return anthropicError(400, 'invalid_request_error', 'messages: at least one message is required');
      }
      if (version === SAMPLING_FREE_VERSION) {
        for (const name of ['temperature', 'top_p', 'top_k']) {
          if (field(body, name) !== undefined) {
            return anthropicError(400, 'invalid_request_error', `${name}: Extra inputs are not permitted`);
          }
        }
      }
      if (options.models !== undefined && !options.models.includes(model)) {
        return anthropicError(404, 'not_found_error', `model: ${model}`);
      }
      counter += 1;
      const id = `msg_fake${counter}`;
      const answerModel = script.model ?? model;
      const stopReason = script.finishReason ?? 'end_turn';
      const input = script.usage?.input ?? FAKE_INPUT_TOKENS;
      const output = script.usage?.output ?? script.deltas.length;
      if (field(body, 'stream') === true) {
        const frames = [
          sse(
            {
              type: 'message_start',
              message: {
                id,
                type: 'message',
                role: 'assistant',
                model: answerModel,
                content: [],
                stop_reason: null,
                stop_sequence: null,
                usage: { input_tokens: input, output_tokens: 1 },
              },
            },
            'message_start',
          ),
          sse(
            { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
            'content_block_start',
          ),
          sse({ type: 'ping' }, 'ping'),
          ...script.deltas.map((text) =>
            sse({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text } }, 'content_block_delta'),
          ),
          sse({ type: 'content_block_stop', index: 0 }, 'content_block_stop'),
          sse(
            {
              type: 'message_delta',
              delta: { stop_reason: stopReason, stop_sequence: null },
              usage: { output_tokens: output },
            },
            'message_delta',
          ),
          sse({ type: 'message_stop' }, 'message_stop'),
        ];
        return { kind: 'stream', contentType: 'text/event-stream; charset=utf-8', frames };
      }
      const blocks = script.separateBlocks ? script.deltas : [script.deltas.join('')];
      return {
        kind: 'json',
        status: 200,
        headers: { 'request-id': `req_fake${counter}` },
        body: {
          id,
          type: 'message',
          role: 'assistant',
          model: answerModel,
          content: blocks.map((text) => ({ type: 'text', text })),
          stop_reason: stopReason,
          stop_sequence: null,
          usage: { input_tokens: input, output_tokens: output },
        },
      };
    },

    error(status, request) {
      switch (status) {
        case 400:
          return anthropicError(400, 'invalid_request_error', 'The fake was told to refuse this request.');
        case 401:
          return anthropicError(401, 'authentication_error', 'invalid x-api-key');
        case 403:
          return anthropicError(
            403,
            'permission_error',
            'Your API key does not have permission to use the specified resource.',
          );
        case 404:
          return anthropicError(404, 'not_found_error', `model: ${String(field(request.body, 'model'))}`);
        case 429:
          return anthropicError(
            429,
            'rate_limit_error',
            'Number of request tokens has exceeded your per-minute rate limit',
          );
        case 529:
          return anthropicError(529, 'overloaded_error', 'Overloaded');
        default:
          return anthropicError(status, 'api_error', 'Internal server error');
      }
    },

    malformed(request) {
      if (field(request.body, 'stream') === true) {
        return {
          kind: 'stream',
          contentType: 'text/event-stream; charset=utf-8',
          frames: ['event: content_block_delta\ndata: {"type": "content_block_delta", "index": 0, "delta": {\n\n'],
        };
      }
      return { kind: 'text', status: 200, contentType: 'application/json', text: '{"id": "msg_broken", "content": [' };
    },
  };
  return startChatFake(protocol, options);
}
