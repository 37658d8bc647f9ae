import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';

import {
  ErrorEnvelope,
  ProviderNameParams,
  ProvidersResponse,
  SettingsResponse,
  SettingsUpdate,
  SettingsUpdateResponse,
  ValidateBody,
  ValidateQuery,
  ValidateResponse,
} from '@contextpilot/contract';

import type { ProviderService } from '../../services/provider-service.js';
import { presentProviders, presentValidation } from '../present/providers.js';
import { presentSettings, presentSettingsUpdate } from '../present/settings.js';
import type { SettingsService } from '../../services/settings-service.js';

/** Providers and settings (API v1). */
export function providerRoutes(
  app: FastifyInstance,
  options: { providers: ProviderService; settings: SettingsService },
): void {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get(
    '/providers',
    {
      config: { scope: 'settings', rateLimit: 30 },
      schema: {
        tags: ['providers'],
        summary: 'The three providers, their state and models',
        response: { 200: ProvidersResponse },
      },
    },
    async () => presentProviders(await options.providers.list()),
  );

  r.post(
    '/providers/:provider_name/validate',
    {
      config: { scope: 'settings', rateLimit: 20 },
      schema: {
        tags: ['providers'],
        summary: 'Check a provider connection',
        description:
          'Uses the saved settings; a JSON body `{api_key?, base_url?}` tests values that are not saved yet. The saved key is only sent to the saved base URL: a different `base_url` for OpenAI or Anthropic needs its own `api_key` (400 otherwise). A null or empty body is accepted (v1 clients send `null`).',
        params: ProviderNameParams,
        querystring: ValidateQuery,
        body: ValidateBody,
        response: { 200: ValidateResponse, 400: ErrorEnvelope, 422: ErrorEnvelope },
      },
    },
    async (request) =>
      presentValidation(
        await options.providers.validate(request.params.provider_name, request.query.model || undefined, {
          apiKey: request.body?.api_key,
          baseUrl: request.body?.base_url,
        }),
      ),
  );

  r.get(
    '/settings',
    {
      config: { scope: 'settings', rateLimit: 30 },
      schema: {
        tags: ['settings'],
        summary: 'AI settings (secrets are never returned)',
        response: { 200: SettingsResponse },
      },
    },
    async () => presentSettings(await options.settings.shownValues()),
  );

  r.post(
    '/settings',
    {
      config: { scope: 'settings', rateLimit: 10 },
      schema: {
        tags: ['settings'],
        summary: 'Change AI settings',
        description:
          'A value sets a field; `null` clears the stored value so the configured default applies again; a field left out is unchanged; an empty string is ignored. Provider keys are stored encrypted, bound to the base URL in effect when they are saved: changing a base URL without giving the key again removes the stored key (listed in `updated_fields`), and a key from the environment is only used with the base URL from the environment. Changes apply at once on every instance sharing the database.',
        body: SettingsUpdate,
        response: { 200: SettingsUpdateResponse, 400: ErrorEnvelope, 422: ErrorEnvelope },
      },
    },
    async (request) => presentSettingsUpdate(await options.settings.update(request.body)),
  );
}
