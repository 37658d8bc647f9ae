import { z } from 'zod';

import {
  AI_PROVIDERS,
  AI_SETTINGS,
  type AiProvider,
  type AiSetting,
  isUrlSettingValue,
  isShown,
  type ShownAiSetting,
} from './ai-settings.js';

/*
 * The schemas of `GET` and `POST /settings`, derived from the settings table (ai-settings.ts): its kinds and limits
 * give each field's type and range, in the table's order.
 */

type NumberSetting = Extract<AiSetting, { kind: 'number' | 'integer' }>;

type ShownField<R> = R extends { kind: 'number' | 'integer' }
  ? R extends { default: number }
    ? z.ZodNumber
    : z.ZodNullable<z.ZodNumber>
  : z.ZodString;

type ResponseShape = {
  [R in AiSetting as R extends { presence: string } ? R['presence'] : never]: z.ZodBoolean;
} & {
  [R in ShownAiSetting as R['key']]: ShownField<R>;
};

const numberOf = (row: NumberSetting) => (row.kind === 'integer' ? z.number().int() : z.number());

/** What `GET /settings` shows of a value (the default provider as a plain string, as v1 documents it). */
function shownSchema(row: AiSetting): z.ZodType {
  if (row.kind === 'number' || row.kind === 'integer') {
    return row.default === null ? numberOf(row).nullable() : numberOf(row);
  }
  return z.string();
}

const responseShape: Record<string, z.ZodType> = {};
for (const row of AI_SETTINGS) {
  if ('presence' in row) {
    responseShape[row.presence] = z.boolean();
  }
  if (isShown(row)) {
    responseShape[row.key] = shownSchema(row);
  }
}

/** The 24 fields of `GET /settings`, in v1 order. Secrets are never returned, only `*_set` flags. */
export const SettingsResponse = z.object(responseShape as ResponseShape);
export type SettingsResponse = z.infer<typeof SettingsResponse>;

type UpdateField<R> = z.ZodOptional<
  z.ZodNullable<
    R extends { kind: 'provider' }
      ? z.ZodEnum<{ [P in AiProvider]: P }>
      : R extends { kind: 'number' | 'integer' }
        ? z.ZodNumber
        : z.ZodString
  >
>;

type UpdateShape = { [R in AiSetting as R['key']]: UpdateField<R> };

/** One field of `POST /settings`: the row's type and limits. */
function updateSchema(row: AiSetting): z.ZodType {
  switch (row.kind) {
    case 'number':
    case 'integer':
      return numberOf(row).min(row.min).max(row.max);
    case 'provider':
      return z.enum(AI_PROVIDERS);
    case 'url':
      return z.string().max(row.maxLength).refine(isUrlSettingValue, 'must be an http(s) URL');
    default:
      return z.string().max(row.maxLength);
  }
}

/**
 * Body of `POST /settings`: every field optional. A value sets the field; `null` clears a stored value (the
 * environment default applies again); an absent field is left alone.
 */
export const SettingsUpdate = z.strictObject(
  Object.fromEntries(AI_SETTINGS.map((row) => [row.key, updateSchema(row).nullable().optional()])) as UpdateShape,
);
export type SettingsUpdate = z.infer<typeof SettingsUpdate>;

export const SettingsUpdateResponse = z.object({
  message: z.string(),
  updated_fields: z.array(z.string()),
  settings: SettingsResponse,
});
export type SettingsUpdateResponse = z.infer<typeof SettingsUpdateResponse>;
