import Anthropic, {
  AnthropicError,
  APIConnectionError,
  APIConnectionTimeoutError,
  APIError,
  APIUserAbortError,
} from '@anthropic-ai/sdk';
import type { Message, MessageCreateParamsNonStreaming } from '@anthropic-ai/sdk/resources/messages/messages';

import { type CallControl, deliver, malformedError, providerFetch, startCall, stoppedError } from './call.js';
import {
  type ChatRequest,
  type ChatResult,
  DEFAULT_MAX_REPLY_BYTES,
  effectiveBaseUrl,
  type LlmProvider,
  type LlmProviderOptions,
  type ProviderConnection,
  ProviderError,
  NOT_CONFIGURED_MESSAGES,
} from './llm.js';
import { mapSdkCallError, runSdkCall, type SdkProvider } from './sdk-call.js';
import { errorDetails, isRecord, type SdkErrorClasses } from './sdk-errors.js';

const CONNECTION_MESSAGE = 'Cannot connect to Anthropic API. Check your network connectivity.';
const NOT_CONFIGURED = NOT_CONFIGURED_MESSAGES.anthropic;
const ERROR_CLASSES: SdkErrorClasses = {
  base: AnthropicError,
  APIError,
  APIConnectionError,
  APIConnectionTimeoutError,
  APIUserAbortError,
};

/**
 * Anthropic Messages API through the official SDK (`POST {baseUrl}/v1/messages`). The system prompt goes in the
 * `system` parameter; the history and the new turn are the `messages`. Sampling settings (temperature, top_p, top_k)
 * are not sent: the API version this SDK sends (`anthropic-version: 2026-10-21`) rejects them.
 *
 * The client gets an explicit key, base URL, log level, webhook key and OpenTelemetry setting, so it reads none of
 * its `ANTHROPIC_*` variables or profile files for them. This SDK version sends the key as `Authorization: Bearer`.
 * Retries (connection errors, 408/409/429/5xx/529) are the SDK's; `connection.timeoutMs` bounds each attempt and the
 * whole call (for a stream: the wait for each event).
 *
 * @throws ProviderError from `chat` and `stream` (with the messages of `call.ts`).
 */
export function createAnthropicProvider(connection: ProviderConnection, options: LlmProviderOptions = {}): LlmProvider {
  const { apiKey, timeoutMs } = connection;
  const client =
    apiKey === ''
      ? undefined
      : new Anthropic({
          apiKey,
          baseURL: effectiveBaseUrl('anthropic', connection.baseUrl),
          timeout: timeoutMs,
          maxRetries: options.maxRetries ?? 2,
          webhookKey: null,
          logLevel: 'off',
          openTelemetry: false,
          fetch: providerFetch('anthropic', options.maxReplyBytes ?? DEFAULT_MAX_REPLY_BYTES, options.fetch),
        });

  function body(request: ChatRequest): MessageCreateParamsNonStreaming {
    const params: MessageCreateParamsNonStreaming = {
      model: request.model,
      max_tokens: request.maxTokens,
      messages: request.messages.map((m) => ({ role: m.role, content: m.content })),
    };
    if (request.system !== '') {
      params.system = request.system;
    }
    // `temperature`, `top_p` and `top_k` are not sent: API version 2026-10-21 (the one this SDK speaks) answers 400
    // to any of them, even at its default value, and the SDK no longer has them.
    return params;
  }

  const sdk: SdkProvider<Anthropic> = {
    provider: 'anthropic',
    client,
    notConfigured: NOT_CONFIGURED,
    errorClasses: ERROR_CLASSES,
    timeoutMs,
    apiKey,
    connectionMessage: CONNECTION_MESSAGE,
  };

  return {
    name: 'anthropic',

    chat(request) {
      return runSdkCall(sdk, request, async (anthropic, control) => {
        const message = await anthropic.messages.create(body(request), { signal: control.signal });
        return toResult(message, request.model);
      });
    },

    stream(request, onDelta) {
      return runSdkCall(sdk, request, async (anthropic, control) => {
        const stream = await anthropic.messages.create({ ...body(request), stream: true }, { signal: control.signal });
        let text = '';
        let model = '';
        let finishReason: string | null = null;
        let inputTokens: number | null = null;
        let outputTokens: number | null = null;
        let complete = false;
        for await (const event of stream) {
          control.touch();
          switch (event.type) {
            case 'message_start':
              model = event.message.model || model;
              inputTokens = event.message.usage.input_tokens;
              outputTokens = event.message.usage.output_tokens;
              break;
            case 'content_block_delta':
              if (event.delta.type === 'text_delta') {
                text += event.delta.text;
                deliver(onDelta, event.delta.text);
              }
              break;
            case 'message_delta':
              finishReason = event.delta.stop_reason ?? finishReason;
              // Both counts are cumulative; input_tokens is only present when it changed.
              inputTokens = event.usage.input_tokens ?? inputTokens;
              outputTokens = event.usage.output_tokens;
              break;
            case 'message_stop':
              complete = true;
              break;
            default:
              break;
          }
        }
        // The SDK ends the iteration quietly when the signal aborts: say why it stopped.
        const stopped = stoppedError('anthropic', control, timeoutMs);
        if (stopped !== undefined) {
          throw stopped;
        }
        if (!complete) {
          throw new ProviderError('anthropic', 'unavailable', 'Anthropic stream ended before the answer was complete');
        }
        return { text, model: model || request.model, finishReason, tokens: sumTokens(inputTokens, outputTokens) };
      });
    },

    /**
     * v1's probe: a real one-token message to the checked model (it costs a token), so a wrong model name fails here
     * too. v1 also sent `temperature: 0`, which API version 2026-10-21 rejects.
     */
    async validate(model) {
      if (client === undefined) {
        return { valid: false, message: 'Anthropic API key is not configured.' };
      }
      const control = startCall(timeoutMs);
      try {
        await client.messages.create(
          { model, max_tokens: 1, messages: [{ role: 'user', content: 'ping' }] },
          { signal: control.signal },
        );
        return { valid: true, message: 'Anthropic connection and API key are valid.' };
      } catch (error) {
        return { valid: false, message: validationMessage(error, control, model) };
      } finally {
        control.dispose();
      }
    },

    listModels() {
      // The catalog is the allow-list for Anthropic.
      return Promise.resolve(null);
    },
  };

  function validationMessage(error: unknown, control: CallControl, model: string): string {
    if (error instanceof ProviderError) {
      return error.message;
    }
    const timedOut = stoppedError('anthropic', control, timeoutMs, error);
    if (timedOut !== undefined || error instanceof APIConnectionError) {
      const details = timedOut?.message ?? errorDetails(error, apiKey);
      return `Cannot connect to Anthropic API. Check network connectivity. Details: ${details}`;
    }
    if (error instanceof APIError) {
      const mapped = mapSdkCallError(sdk, error, control, model);
      if (mapped instanceof ProviderError) {
        return mapped.message;
      }
    }
    return `Anthropic validation failed: ${errorDetails(error, apiKey)}`;
  }
}

function sumTokens(input: number | null, output: number | null): number | null {
  return input === null && output === null ? null : (input ?? 0) + (output ?? 0);
}

/** Every text block joined (other block types carry no answer text), `input_tokens + output_tokens`. */
function toResult(message: Message | undefined, requestedModel: string): ChatResult {
  if (!isRecord(message) || !Array.isArray(message.content)) {
    throw malformedError('anthropic', 'no content in the answer');
  }
  let text = '';
  for (const block of message.content as unknown[]) {
    if (isRecord(block) && block.type === 'text') {
      if (typeof block.text !== 'string') {
        throw malformedError('anthropic', 'a text block has no text');
      }
      text += block.text;
    }
  }
  const usage: unknown = message.usage;
  const input = isRecord(usage) && typeof usage.input_tokens === 'number' ? usage.input_tokens : null;
  const output = isRecord(usage) && typeof usage.output_tokens === 'number' ? usage.output_tokens : null;
  return {
    text,
    model: typeof message.model === 'string' && message.model !== '' ? message.model : requestedModel,
    finishReason: typeof message.stop_reason === 'string' ? message.stop_reason : null,
    tokens: sumTokens(input, output),
  };
}
