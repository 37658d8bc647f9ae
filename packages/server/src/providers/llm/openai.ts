import OpenAI, {
  APIConnectionError,
  APIConnectionTimeoutError,
  APIError,
  APIUserAbortError,
  OpenAIError,
} from 'openai';
import type {
  ChatCompletion,
  ChatCompletionCreateParamsNonStreaming,
  ChatCompletionMessageParam,
} from 'openai/resources/chat/completions';

import {
  type CallControl,
  deliver,
  malformedError,
  providerFetch,
  shortRaw,
  startCall,
  statusError,
  stoppedError,
} from './call.js';
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
import { runSdkCall, type SdkProvider } from './sdk-call.js';
import { errorDetails, isRecord, type SdkErrorClasses } from './sdk-errors.js';

const CONNECTION_MESSAGE = 'Cannot connect to OpenAI API. Check your network or OpenAI base URL configuration.';
const NOT_CONFIGURED = NOT_CONFIGURED_MESSAGES.openai;
const ERROR_CLASSES: SdkErrorClasses = {
  base: OpenAIError,
  APIError,
  APIConnectionError,
  APIConnectionTimeoutError,
  APIUserAbortError,
};

/**
 * Reasoning-model families (o1, o3, gpt-5…) take `max_completion_tokens` instead of `max_tokens` and reject any
 * `temperature` other than the default, so none is sent (as the v1 API did).
 */
export function usesMaxCompletionTokens(model: string): boolean {
  return model.startsWith('o1') || model.startsWith('o3') || model.startsWith('gpt-5');
}

/**
 * v1's one-shot fallback: an endpoint that answers 400 "Unsupported parameter: 'max_tokens' … use
 * 'max_completion_tokens' instead" gets the same request once more with `max_completion_tokens`.
 */
function isMaxTokensUnsupported(error: unknown): boolean {
  if (!(error instanceof APIError) || error.status !== 400) {
    return false;
  }
  const message = error.message.toLowerCase();
  return message.includes('max_tokens') && message.includes('max_completion_tokens') && message.includes('unsupported');
}

/**
 * OpenAI chat completions through the official SDK (`POST {baseUrl}/chat/completions`).
 *
 * The client is given every setting it would otherwise read from the environment (`OPENAI_API_KEY`,
 * `OPENAI_BASE_URL`, organisation, project, log level), so only `connection` decides where requests go and with
 * which key. Retries (connection errors, 408/409/429/5xx) are the SDK's; `connection.timeoutMs` bounds each attempt
 * and the whole call (for a stream: the wait for each event).
 *
 * @throws ProviderError from `chat` and `stream` (with the messages of `call.ts`).
 */
export function createOpenAiProvider(connection: ProviderConnection, options: LlmProviderOptions = {}): LlmProvider {
  const { apiKey, timeoutMs } = connection;
  const client =
    apiKey === ''
      ? undefined
      : new OpenAI({
          apiKey,
          baseURL: effectiveBaseUrl('openai', connection.baseUrl),
          timeout: timeoutMs,
          maxRetries: options.maxRetries ?? 2,
          organization: null,
          project: null,
          webhookSecret: null,
          adminAPIKey: null,
          logLevel: 'off',
          fetch: providerFetch('openai', options.maxReplyBytes ?? DEFAULT_MAX_REPLY_BYTES, options.fetch),
        });

  function body(request: ChatRequest, completionTokens: boolean): ChatCompletionCreateParamsNonStreaming {
    const messages: ChatCompletionMessageParam[] = [
      ...(request.system === '' ? [] : [{ role: 'system' as const, content: request.system }]),
      ...request.messages.map((m) => ({ role: m.role, content: m.content })),
    ];
    const params: ChatCompletionCreateParamsNonStreaming = { model: request.model, messages };
    if (completionTokens) {
      params.max_completion_tokens = request.maxTokens;
    } else {
      params.max_tokens = request.maxTokens;
    }
    // The retry keeps the temperature (v1); only a model that never takes one goes without.
    if (!usesMaxCompletionTokens(request.model) && request.temperature !== null) {
      params.temperature = request.temperature;
    }
    if (request.topP !== null && request.topP !== undefined) {
      params.top_p = request.topP;
    }
    return params;
  }

  /** Runs `send` with the right token parameter, and once more with `max_completion_tokens` when v1 would. */
  async function withTokenFallback<T>(request: ChatRequest, send: (completionTokens: boolean) => Promise<T>) {
    const completionTokens = usesMaxCompletionTokens(request.model);
    try {
      return await send(completionTokens);
    } catch (error) {
      if (!completionTokens && isMaxTokensUnsupported(error)) {
        return send(true);
      }
      throw error;
    }
  }

  const sdk: SdkProvider<OpenAI> = {
    provider: 'openai',
    client,
    notConfigured: NOT_CONFIGURED,
    errorClasses: ERROR_CLASSES,
    timeoutMs,
    apiKey,
    connectionMessage: CONNECTION_MESSAGE,
  };

  return {
    name: 'openai',

    chat(request) {
      return runSdkCall(sdk, request, async (openai, control) => {
        const response = await withTokenFallback(request, (completionTokens) =>
          openai.chat.completions.create(body(request, completionTokens), { signal: control.signal }),
        );
        return toResult(response, request.model);
      });
    },

    stream(request, onDelta) {
      return runSdkCall(sdk, request, async (openai, control) => {
        const stream = await withTokenFallback(request, (completionTokens) =>
          openai.chat.completions.create(
            { ...body(request, completionTokens), stream: true, stream_options: { include_usage: true } },
            { signal: control.signal },
          ),
        );
        let text = '';
        let model = '';
        let finishReason: string | null = null;
        let tokens: number | null = null;
        for await (const chunk of stream) {
          control.touch();
          if (!isRecord(chunk)) {
            throw malformedError('openai', 'a stream chunk is not an object');
          }
          model = typeof chunk.model === 'string' && chunk.model !== '' ? chunk.model : model;
          tokens = chunk.usage?.total_tokens ?? tokens;
          const choice = Array.isArray(chunk.choices) ? chunk.choices[0] : undefined;
          const delta = choice?.delta?.content;
          if (typeof delta === 'string' && delta !== '') {
            text += delta;
            deliver(onDelta, delta);
          }
          finishReason = choice?.finish_reason ?? finishReason;
        }
        // The SDK ends the iteration quietly when the signal aborts: say why it stopped.
        const stopped = stoppedError('openai', control, timeoutMs);
        if (stopped !== undefined) {
          throw stopped;
        }
        if (finishReason === null) {
          throw new ProviderError('openai', 'unavailable', 'OpenAI stream ended before the answer was complete');
        }
        return { text, model: model || request.model, finishReason, tokens };
      });
    },

    async validate() {
      if (client === undefined) {
        return { valid: false, message: 'OpenAI API key is not configured.' };
      }
      const control = startCall(timeoutMs);
      try {
        await client.models.list({ signal: control.signal });
        return { valid: true, message: 'OpenAI connection and API key are valid.' };
      } catch (error) {
        return { valid: false, message: validationMessage(error, control) };
      } finally {
        control.dispose();
      }
    },

    listModels() {
      // The catalog is the allow-list for OpenAI; the account's own list is not offered.
      return Promise.resolve(null);
    },
  };

  function validationMessage(error: unknown, control: CallControl): string {
    if (error instanceof ProviderError) {
      return error.message;
    }
    const timedOut = stoppedError('openai', control, timeoutMs, error);
    if (timedOut !== undefined || error instanceof APIConnectionError) {
      const details = timedOut?.message ?? errorDetails(error, apiKey);
      return `Cannot connect to OpenAI API. Check network and base URL. Details: ${details}`;
    }
    if (error instanceof APIError && typeof error.status === 'number') {
      // Listing models names no model, so a 404 gets the "resource was not found" message.
      return statusError('openai', error.status, shortRaw(error.message.replace(/^\d{3} /, ''), [apiKey]), undefined)
        .message;
    }
    return `OpenAI validation failed: ${errorDetails(error, apiKey)}`;
  }
}

/** `choices[0].message.content` (an empty answer is allowed), `usage.total_tokens`, the model that answered. */
function toResult(response: ChatCompletion | undefined, requestedModel: string): ChatResult {
  if (!isRecord(response) || !Array.isArray(response.choices)) {
    throw malformedError('openai', 'no choices in the answer');
  }
  const choice = response.choices[0];
  if (!isRecord(choice) || !isRecord(choice.message)) {
    throw malformedError('openai', 'no message in the first choice');
  }
  const content: unknown = choice.message.content;
  if (content !== null && content !== undefined && typeof content !== 'string') {
    throw malformedError('openai', 'the message content is not text');
  }
  const total: unknown = response.usage?.total_tokens;
  return {
    text: content ?? '',
    model: typeof response.model === 'string' && response.model !== '' ? response.model : requestedModel,
    finishReason: typeof choice.finish_reason === 'string' ? choice.finish_reason : null,
    tokens: typeof total === 'number' ? total : null,
  };
}
