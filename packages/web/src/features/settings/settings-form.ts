import type { SettingsResponse, SettingsUpdate } from '@contextpilot/contract';
import {
  AI_PROVIDERS,
  AI_SETTINGS,
  type AiProvider,
  type AiSetting,
  type AiSettingKind,
  isHttpUrl,
  isShown,
} from '@contextpilot/contract/ai-settings';

import { SETTING_LABELS } from './setting-labels';

export type SettingKey = keyof SettingsUpdate;
export type FieldKind = AiSettingKind;

/** One field of the form: a row of the settings table with its label. */
export interface FieldDef {
  key: SettingKey;
  label: string;
  kind: FieldKind;
  /** The GET /settings field that pre-fills it (secrets never do). */
  from?: keyof SettingsResponse;
  /** For secrets: the flag saying one is stored. */
  setFlag?: keyof SettingsResponse;
  min?: number;
  max?: number;
  step?: number;
  placeholder?: string;
  help?: string;
  /** Which provider's models a `model` field offers (the general default model follows the chosen provider). */
  provider?: AiProvider;
  /** A `model` field that takes any name, offering the known ones. */
  freeText?: boolean;
}

function fieldOf(row: AiSetting): FieldDef {
  const text = SETTING_LABELS[row.key];
  return {
    key: row.key,
    kind: row.kind,
    ...text,
    from: isShown(row) ? row.key : undefined,
    setFlag: row.kind === 'secret' ? row.presence : undefined,
    ...(row.kind === 'number' || row.kind === 'integer' ? { min: row.min, max: row.max, step: text.step ?? 1 } : {}),
    provider: row.kind === 'model' && row.provider !== null ? row.provider : undefined,
  };
}

const fieldsOf = (provider: AiProvider | null) => AI_SETTINGS.filter((row) => row.provider === provider).map(fieldOf);

export const GENERAL_FIELDS: FieldDef[] = fieldsOf(null);

export const PROVIDER_FIELDS = Object.fromEntries(AI_PROVIDERS.map((p) => [p, fieldsOf(p)])) as Record<
  AiProvider,
  FieldDef[]
>;

export const ALL_FIELDS: FieldDef[] = [...GENERAL_FIELDS, ...AI_PROVIDERS.flatMap((p) => PROVIDER_FIELDS[p])];

export interface FieldState {
  value: string;
  dirty: boolean;
  /** Secrets: remove the stored value on save. */
  clear: boolean;
}

export type FormState = Partial<Record<SettingKey, FieldState>>;

/** The form pre-filled from GET /settings. Secrets start empty: they are never shown. */
export function initialForm(settings: SettingsResponse | undefined): FormState {
  const form: FormState = {};
  for (const def of ALL_FIELDS) {
    const raw = def.from && settings ? settings[def.from] : null;
    form[def.key] = {
      value: def.kind === 'secret' || raw === null || raw === undefined ? '' : String(raw),
      dirty: false,
      clear: false,
    };
  }
  return form;
}

export function fieldValue(form: FormState, key: SettingKey): string {
  return form[key]?.value ?? '';
}

/**
 * The body of POST /settings: only the fields the user changed. A blank field, "use default" or "remove saved key"
 * sends `null`, which clears the stored value. Secrets left empty are not sent.
 */
export function buildUpdate(form: FormState): { update: SettingsUpdate; errors: Partial<Record<SettingKey, string>> } {
  const update: Record<string, string | number | null> = {};
  const errors: Partial<Record<SettingKey, string>> = {};
  for (const def of ALL_FIELDS) {
    const state = form[def.key];
    if (!state || (!state.dirty && !state.clear)) {
      continue;
    }
    const text = state.value.trim();
    if (def.kind === 'secret') {
      if (state.clear) {
        update[def.key] = null;
      } else if (text !== '') {
        update[def.key] = text;
      }
      continue;
    }
    if (text === '') {
      update[def.key] = null;
      continue;
    }
    if (def.kind === 'number' || def.kind === 'integer') {
      const value = Number(text);
      const min = def.min ?? -Infinity;
      const max = def.max ?? Infinity;
      if (
        !Number.isFinite(value) ||
        (def.kind === 'integer' && !Number.isInteger(value)) ||
        value < min ||
        value > max
      ) {
        errors[def.key] =
          `${def.label} must be ${def.kind === 'integer' ? 'a whole number' : 'a number'} from ${min} to ${max}`;
        continue;
      }
      update[def.key] = value;
      continue;
    }
    if (def.kind === 'url' && !isHttpUrl(text)) {
      errors[def.key] = `${def.label.replace(' (optional)', '')} must be an http(s) URL`;
      continue;
    }
    update[def.key] = text;
  }
  return { update, errors };
}
