import { type CallControl, startCall } from './call.js';
import { type ChatRequest, ProviderError, type ProviderName } from './llm.js';
import { mapSdkError, type SdkErrorClasses } from './sdk-errors.js';

/** What every chat call of one provider built on a Stainless-generated SDK (openai, @anthropic-ai/sdk) shares. */
export interface SdkProvider<Client> {
  provider: ProviderName;
  /** Undefined when no API key is configured. */
  client: Client | undefined;
  /** The `configuration` failure's message when there is no client. */
  notConfigured: string;
  errorClasses: SdkErrorClasses;
  timeoutMs: number;
  apiKey: string;
  connectionMessage: string;
}

/**
 * Runs one chat call through the SDK client: refuses at once without a client, bounds the call with `startCall`
 * (`timeoutMs` and the caller's `request.signal`), translates whatever it throws with `mapSdkError`, and always
 * disposes the call's control.
 *
 * @throws ProviderError for a provider failure; an error of the caller's `onDelta` unchanged.
 */
export async function runSdkCall<Client, T>(
  sdk: SdkProvider<Client>,
  request: ChatRequest,
  work: (client: Client, control: CallControl) => Promise<T>,
): Promise<T> {
  if (sdk.client === undefined) {
    throw new ProviderError(sdk.provider, 'configuration', sdk.notConfigured);
  }
  const control = startCall(sdk.timeoutMs, request.signal);
  try {
    return await work(sdk.client, control);
  } catch (error) {
    throw mapSdkCallError(sdk, error, control, request.model);
  } finally {
    control.dispose();
  }
}

/** `mapSdkError` for a call of `sdk` about `model` (undefined for calls that name none). */
export function mapSdkCallError(
  sdk: SdkProvider<unknown>,
  error: unknown,
  control: CallControl,
  model: string | undefined,
): unknown {
  return mapSdkError(error, sdk.errorClasses, {
    provider: sdk.provider,
    control,
    timeoutMs: sdk.timeoutMs,
    model,
    apiKey: sdk.apiKey,
    connectionMessage: sdk.connectionMessage,
  });
}
