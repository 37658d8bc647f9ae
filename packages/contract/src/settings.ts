import { z } from 'zod';

/** The 24 fields of `GET /settings`, in v1 order. Secrets are never returned, only `*_set` flags. */
export const SettingsResponse = z.object({
  openai_api_key_set: z.boolean(),
  openai_base_url: z.string(),
  openai_default_model: z.string(),
  openai_temperature: z.number().nullable(),
  openai_top_p: z.number().nullable(),
  openai_max_tokens: z.number().int().nullable(),
  anthropic_api_key_set: z.boolean(),
  anthropic_default_model: z.string(),
  anthropic_temperature: z.number().nullable(),
  anthropic_top_p: z.number().nullable(),
  anthropic_top_k: z.number().int().nullable(),
  anthropic_max_tokens: z.number().int().nullable(),
  ollama_configured: z.boolean(),
  ollama_base_url: z.string(),
  ollama_default_model: z.string(),
  ollama_temperature: z.number().nullable(),
  ollama_top_p: z.number().nullable(),
  ollama_num_predict: z.number().int().nullable(),
  ollama_num_ctx: z.number().int().nullable(),
  ollama_keep_alive: z.string(),
  default_ai_provider: z.string(),
  default_ai_model: z.string(),
  ai_temperature: z.number(),
  ai_max_tokens: z.number().int(),
});
export type SettingsResponse = z.infer<typeof SettingsResponse>;

const text = (max: number) => z.string().max(max).nullable().optional();
const url = z
  .string()
  .max(500)
  .refine((v) => v.trim() === '' || /^https?:\/\/[^\s]+$/i.test(v.trim()), 'must be an http(s) URL')
  .nullable()
  .optional();
const num = (min: number, max: number) => z.number().min(min).max(max).nullable().optional();
const int = (min: number, max: number) => z.number().int().min(min).max(max).nullable().optional();

/**
 * Body of `POST /settings`: every field optional. A value sets the field; `null` clears a stored value (the
 * environment default applies again); an absent field is left alone.
 */
export const SettingsUpdate = z.strictObject({
  openai_api_key: text(500),
  openai_base_url: url,
  openai_default_model: text(200),
  openai_temperature: num(0, 2),
  openai_top_p: num(0, 1),
  openai_max_tokens: int(1, 16000),
  anthropic_api_key: text(500),
  anthropic_base_url: url,
  anthropic_default_model: text(200),
  anthropic_temperature: num(0, 2),
  anthropic_top_p: num(0, 1),
  anthropic_top_k: int(0, 1_000_000),
  anthropic_max_tokens: int(1, 16000),
  ollama_base_url: url,
  ollama_default_model: text(200),
  ollama_temperature: num(0, 2),
  ollama_top_p: num(0, 1),
  ollama_num_predict: int(1, 10_000_000),
  ollama_num_ctx: int(1, 10_000_000),
  ollama_keep_alive: text(50),
  default_ai_provider: z.enum(['openai', 'anthropic', 'ollama']).nullable().optional(),
  default_ai_model: text(200),
  ai_temperature: num(0, 2),
  ai_max_tokens: int(1, 16000),
});
export type SettingsUpdate = z.infer<typeof SettingsUpdate>;

export const SettingsUpdateResponse = z.object({
  message: z.string(),
  updated_fields: z.array(z.string()),
  settings: SettingsResponse,
});
export type SettingsUpdateResponse = z.infer<typeof SettingsUpdateResponse>;
