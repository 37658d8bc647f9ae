import { echo } from '../domain/echo.js';
import { badRequest } from '../errors.js';
import { allowedModels } from '../providers/llm/catalog.js';
import {
  effectiveBaseUrl,
  hasCredentials,
  PROVIDER_NAMES,
  ProviderError,
  type LlmProvider,
  type ProviderConnection,
  type ProviderName,
} from '../providers/llm/llm.js';
import { defaultModelFor } from './chat-service.js';
import { savedCredentials, type AiSettings, type SettingsService } from './settings-service.js';

const NOT_CONFIGURED: Record<ProviderName, string> = {
  openai: 'OpenAI API key is not configured.',
  anthropic: 'Anthropic API key is not configured.',
  ollama: 'Ollama is not configured. Set Ollama base URL in Settings.',
};

/** What is known of one provider: hosted ones list their catalog; Ollama lists its own models when it answers. */
export type ProviderStatus =
  | { name: 'openai' | 'anthropic'; configured: boolean; defaultModel: string; models: string[] }
  | {
      name: 'ollama';
      configured: boolean;
      defaultModel: string;
      models: string[];
      baseUrl: string;
      reachable: boolean;
    };

export interface ProviderList {
  providers: ProviderStatus[];
  defaultProvider: string;
  defaultModel: string;
}

/** The outcome of a connection check. */
export interface ProviderValidation {
  provider: ProviderName;
  valid: boolean;
  message: string;
  checkedModel: string;
}

/** The provider list of `GET /providers` and the connection checks of `POST /providers/{name}/validate`. */
export function createProviderService(deps: {
  settings: Pick<SettingsService, 'current'>;
  createProvider: (name: ProviderName, connection: ProviderConnection) => LlmProvider;
  timeoutMs: number;
}) {
  /**
   * The saved connection, or the one typed in the UI (`overrides`). The saved key goes only to the saved base URL:
   * another base URL must come with its own key.
   *
   * @throws AppError 400 for a hosted provider's other base URL without a key.
   */
  function connection(
    name: ProviderName,
    settings: AiSettings,
    overrides: { apiKey?: string; baseUrl?: string },
  ): ProviderConnection {
    const saved = savedCredentials(name, settings);
    const baseUrl = overrides.baseUrl?.trim() || saved.baseUrl;
    const moved = effectiveBaseUrl(name, baseUrl) !== effectiveBaseUrl(name, saved.baseUrl);
    if (name !== 'ollama' && moved && !overrides.apiKey) {
      throw badRequest('api_key is required when base_url differs from the saved one');
    }
    return { apiKey: overrides.apiKey || saved.apiKey, baseUrl, timeoutMs: deps.timeoutMs };
  }

  return {
    async list(): Promise<ProviderList> {
      const settings = await deps.settings.current();
      const providers = await Promise.all(
        PROVIDER_NAMES.map(async (name): Promise<ProviderStatus> => {
          const configured = hasCredentials(name, savedCredentials(name, settings));
          const defaultModel = settings[name].defaultModel;
          if (name !== 'ollama') {
            // The catalog is the allow-list of the hosted providers; they are not asked.
            return { name, configured, defaultModel, models: allowedModels(name) };
          }
          // Ollama's own models, only when it answers now (within a short wait): a list it did not give would
          // offer models nobody can use.
          const live = configured ? await deps.createProvider(name, connection(name, settings, {})).listModels() : null;
          return {
            name,
            configured,
            defaultModel,
            models: live ?? [],
            baseUrl: settings.ollama.baseUrl,
            reachable: live !== null,
          };
        }),
      );
      return { providers, defaultProvider: settings.defaultProvider, defaultModel: settings.defaultModel };
    },

    /**
     * Checks a provider's connection with the saved settings, or with values typed in the UI but not saved yet
     * (`overrides`). Always answers (valid or not) unless the provider name is unknown.
     */
    async validate(
      rawName: string,
      model: string | undefined,
      overrides: { apiKey?: string; baseUrl?: string } = {},
    ): Promise<ProviderValidation> {
      const name = rawName.trim().toLowerCase();
      if (!(PROVIDER_NAMES as readonly string[]).includes(name)) {
        throw badRequest(`Unsupported provider '${echo(rawName)}'.`);
      }
      const provider = name as ProviderName;
      const settings = await deps.settings.current();
      const checkedModel = model || defaultModelFor(provider, settings);
      const conn = connection(provider, settings, overrides);
      if (!hasCredentials(provider, conn)) {
        return { provider, valid: false, message: NOT_CONFIGURED[provider], checkedModel };
      }
      try {
        const result = await deps.createProvider(provider, conn).validate(checkedModel);
        return { provider, valid: result.valid, message: result.message, checkedModel };
      } catch (error) {
        if (error instanceof ProviderError) {
          return { provider, valid: false, message: error.message, checkedModel };
        }
        throw error;
      }
    },
  };
}
export type ProviderService = ReturnType<typeof createProviderService>;
