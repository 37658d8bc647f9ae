import { AI_SETTINGS, isShown, type AiSettingValues } from '@contextpilot/contract/ai-settings';
import type { SettingsResponse, SettingsUpdateResponse } from '@contextpilot/contract';

/** `GET /settings`: each setting's presence flag and value as the settings table says; never a provider key. */
export function presentSettings(values: AiSettingValues): SettingsResponse {
  const out: Record<string, unknown> = {};
  for (const row of AI_SETTINGS) {
    const value = values[row.key];
    if ('presence' in row) {
      out[row.presence] = value !== '' && value !== null;
    }
    if (isShown(row)) {
      out[row.key] = value;
    }
  }
  return out as SettingsResponse;
}

/** `POST /settings`: what changed, and the settings now in effect. */
export function presentSettingsUpdate(outcome: {
  updatedFields: string[];
  values: AiSettingValues;
}): SettingsUpdateResponse {
  return {
    message: 'Settings updated successfully',
    updated_fields: outcome.updatedFields,
    settings: presentSettings(outcome.values),
  };
}
