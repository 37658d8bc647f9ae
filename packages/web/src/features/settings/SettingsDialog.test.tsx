import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';

import { AI_PROVIDERS, AI_SETTINGS, isShown } from '@contextpilot/contract/ai-settings';

import { json, providers, settings } from '../../test/mock-api';
import { renderApp } from '../../test/render';
import { ALL_FIELDS, buildUpdate, GENERAL_FIELDS, initialForm, PROVIDER_FIELDS } from './settings-form';

async function openSettings(handlers: Parameters<typeof renderApp>[0] = {}) {
  const user = userEvent.setup();
  const app = renderApp({
    'POST /settings': (r) =>
      json({ message: 'Settings updated successfully', updated_fields: Object.keys(r.body as object), settings }),
    ...handlers,
  });
  await screen.findByText('Available contexts: 1');
  await user.click(screen.getByRole('button', { name: 'Settings' }));
  const dialog = await screen.findByRole('dialog', { name: 'Settings' });
  await waitFor(() => expect(within(dialog).getByRole('spinbutton', { name: 'Temperature' })).toHaveValue(0.7));
  return { app, user, dialog };
}

describe('settings form fields', () => {
  it('has one labelled field per setting of the table, with its kind and limits, on its tab in table order', () => {
    expect(ALL_FIELDS.map((def) => def.key).sort()).toEqual(AI_SETTINGS.map((row) => row.key).sort());
    expect(GENERAL_FIELDS.map((def) => def.key)).toEqual(
      AI_SETTINGS.filter((row) => row.provider === null).map((row) => row.key),
    );
    for (const provider of AI_PROVIDERS) {
      expect(PROVIDER_FIELDS[provider].map((def) => def.key)).toEqual(
        AI_SETTINGS.filter((row) => row.provider === provider).map((row) => row.key),
      );
    }
    for (const row of AI_SETTINGS) {
      const def = ALL_FIELDS.find((field) => field.key === row.key);
      expect(def?.label.trim(), row.key).not.toBe('');
      expect(def?.kind, row.key).toBe(row.kind);
      if (row.kind === 'number' || row.kind === 'integer') {
        expect(def, row.key).toMatchObject({ min: row.min, max: row.max });
      }
    }
  });

  it('pre-fills every setting GET /settings shows, and never a key', () => {
    const form = initialForm(settings);
    for (const row of AI_SETTINGS) {
      const shown = isShown(row) ? settings[row.key] : null;
      expect(form[row.key]?.value, row.key).toBe(shown === null ? '' : String(shown));
    }
  });
});

describe('settings form logic', () => {
  it('sends only changed fields, null for a cleared one, and never an untouched secret', () => {
    const form = initialForm(settings);
    expect(form.openai_api_key?.value).toBe('');
    expect(buildUpdate(form).update).toEqual({});
    form.openai_temperature = { value: '', dirty: true, clear: false };
    form.ai_max_tokens = { value: '3000', dirty: true, clear: false };
    form.anthropic_api_key = { value: '  sk-ant  ', dirty: true, clear: false };
    form.openai_api_key = { value: '', dirty: false, clear: true };
    form.openai_default_model = { value: '', dirty: true, clear: false };
    expect(buildUpdate(form)).toEqual({
      update: {
        openai_temperature: null,
        ai_max_tokens: 3000,
        anthropic_api_key: 'sk-ant',
        openai_api_key: null,
        openai_default_model: null,
      },
      errors: {},
    });
  });

  it('reports out-of-range numbers and bad URLs instead of sending them', () => {
    const form = initialForm(settings);
    form.ai_temperature = { value: '3', dirty: true, clear: false };
    form.ai_max_tokens = { value: '1.5', dirty: true, clear: false };
    form.openai_base_url = { value: 'ftp://x', dirty: true, clear: false };
    const { update, errors } = buildUpdate(form);
    expect(update).toEqual({});
    expect(Object.keys(errors).sort()).toEqual(['ai_max_tokens', 'ai_temperature', 'openai_base_url']);
  });
});

describe('Settings dialog', () => {
  it('opens on General, traps focus, and closes with Escape', async () => {
    const { user, dialog } = await openSettings();
    expect(within(dialog).getByRole('tab', { name: 'General' })).toHaveAttribute('aria-selected', 'true');
    expect(dialog).toContainElement(document.activeElement as HTMLElement);
    for (let i = 0; i < 30; i++) {
      await user.tab();
      expect(dialog).toContainElement(document.activeElement as HTMLElement);
    }
    await user.keyboard('{Escape}');
    expect(screen.queryByRole('dialog', { name: 'Settings' })).not.toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Settings' })).toHaveFocus();
  });

  it('clears an override with null and saves only what changed', async () => {
    const { app, user, dialog } = await openSettings();
    await user.click(within(dialog).getByRole('tab', { name: /Providers/ }));
    const panel = within(dialog).getByRole('tabpanel', { name: /OpenAI/ });
    const temperature = within(panel).getByRole('spinbutton', { name: 'Temperature override' });
    expect(temperature).toHaveValue(0.4);
    await user.clear(temperature);
    await user.selectOptions(within(panel).getByRole('combobox', { name: 'Default model override' }), '');
    await user.click(within(panel).getByRole('button', { name: 'Remove saved key' }));
    await user.click(within(dialog).getByRole('button', { name: 'Save settings' }));
    await waitFor(() => expect(app.calls('POST /settings')).toHaveLength(1));
    expect(app.calls('POST /settings')[0]?.body).toEqual({
      openai_api_key: null,
      openai_default_model: null,
      openai_temperature: null,
    });
    expect(await screen.findByText('Settings updated successfully!')).toBeInTheDocument();
    expect(screen.queryByRole('dialog', { name: 'Settings' })).not.toBeInTheDocument();
  });

  it('shows a labelled control for every setting, on its tab', async () => {
    const { user, dialog } = await openSettings();
    const general = within(dialog).getByRole('tabpanel', { name: 'General' });
    for (const def of GENERAL_FIELDS) {
      expect(within(general).getByLabelText(def.label), def.key).toBeInTheDocument();
    }
    await user.click(within(dialog).getByRole('tab', { name: /Providers/ }));
    for (const provider of AI_PROVIDERS) {
      const name = providers.providers.find((p) => p.name === provider)?.display_name ?? provider;
      const named = (accessibleName: string) => accessibleName.startsWith(name);
      await user.click(within(dialog).getByRole('tab', { name: named }));
      const panel = within(dialog).getByRole('tabpanel', { name: named });
      for (const def of PROVIDER_FIELDS[provider]) {
        expect(within(panel).getByLabelText(def.label), def.key).toBeInTheDocument();
      }
    }
  });

  it('never shows a saved secret', async () => {
    const { user, dialog } = await openSettings();
    await user.click(within(dialog).getByRole('tab', { name: /Providers/ }));
    const key = within(dialog).getByLabelText('API key');
    expect(key).toHaveAttribute('type', 'password');
    expect(key).toHaveValue('');
    expect(within(dialog).getByText('Saved')).toBeInTheDocument();
  });

  it('tests the connection with the values typed and shows the result in the dialog', async () => {
    const { app, user, dialog } = await openSettings({
      'POST /providers/:name/validate': (r, p) =>
        json({
          provider: p.name,
          valid: (r.body as { api_key?: string } | null)?.api_key === 'sk-typed',
          message: 'Connected to Anthropic',
          checked_model: 'claude-sonnet-4-5',
        }),
    });
    await user.click(within(dialog).getByRole('tab', { name: /Providers/ }));
    await user.click(within(dialog).getByRole('tab', { name: /Anthropic/ }));
    await user.type(within(dialog).getByLabelText('API key'), 'sk-typed');
    await user.type(within(dialog).getByRole('textbox', { name: 'Base URL (optional)' }), 'http://gateway.local');
    await user.click(within(dialog).getByRole('button', { name: 'Test Anthropic connection' }));
    const result = within(dialog).getByTestId('test-result');
    await waitFor(() => expect(result).toHaveTextContent('✓ Connected to Anthropic'));
    const call = app.calls('POST /providers/anthropic/validate')[0];
    expect(call?.body).toEqual({ api_key: 'sk-typed', base_url: 'http://gateway.local' });
    expect(call?.query.get('model')).toBe('claude-sonnet-4-5');
    expect(app.calls('POST /settings')).toHaveLength(0);
    expect(screen.getByRole('dialog', { name: 'Settings' })).toBeInTheDocument();
  });

  it('keeps the dialog open and shows a failed save inside it', async () => {
    const { user, dialog } = await openSettings({
      'POST /settings': () =>
        json(
          {
            error_code: 'VALIDATION_ERROR',
            message: 'ai_max_tokens: too big',
            detail: 'ai_max_tokens: too big',
            details: {},
          },
          422,
        ),
    });
    const tokens = within(dialog).getByRole('spinbutton', { name: 'Max tokens' });
    await user.clear(tokens);
    await user.type(tokens, '500');
    await user.click(within(dialog).getByRole('button', { name: 'Save settings' }));
    expect(await within(dialog).findByText('ai_max_tokens: too big')).toBeInTheDocument();
  });

  it('changing the default provider picks that provider’s model', async () => {
    const { app, user, dialog } = await openSettings();
    await user.selectOptions(within(dialog).getByRole('combobox', { name: 'Default provider' }), 'anthropic');
    expect(within(dialog).getByRole('combobox', { name: 'Default model' })).toHaveValue('claude-sonnet-4-5');
    await user.click(within(dialog).getByRole('button', { name: 'Save settings' }));
    await waitFor(() => expect(app.calls('POST /settings')).toHaveLength(1));
    expect(app.calls('POST /settings')[0]?.body).toEqual({
      default_ai_provider: 'anthropic',
      default_ai_model: 'claude-sonnet-4-5',
    });
  });
});
