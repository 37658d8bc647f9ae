import type { ValidateResponse } from '@contextpilot/contract';
import { useState } from 'react';

import { useApi } from '../../api/api';
import { errorMessage } from '../../api/errors';
import { useProviders, useSettings, useUpdateSettings } from '../../api/hooks';
import { Dialog } from '../../components/Dialog';
import { useNotify } from '../../components/Notifications';
import { panelId, TabList, tabId } from '../../components/Tabs';
import { useActivityLog } from '../activity/activity-log';
import { ThemeControl } from '../theme/ThemeControl';
import {
  buildUpdate,
  fieldValue,
  GENERAL_FIELDS,
  initialForm,
  PROVIDER_FIELDS,
  type FieldKind,
  type FieldState,
  type FormState,
  type SettingKey,
} from './settings-form';
import { SettingField } from './SettingField';

type Tab = 'general' | 'providers';
type KnownProvider = keyof typeof PROVIDER_FIELDS;

const isKnown = (name: string): name is KnownProvider => name in PROVIDER_FIELDS;

/** The settings dialog: general defaults and one tab per provider; only changed fields are saved. */
export function SettingsDialog({ onClose }: { onClose: () => void }) {
  const { client, reportError } = useApi();
  const settings = useSettings();
  const providers = useProviders();
  const save = useUpdateSettings();
  const notify = useNotify();
  const { log } = useActivityLog();
  const [tab, setTab] = useState<Tab>('general');
  const [form, setForm] = useState<FormState>(() => initialForm(settings.data));
  const [loadedFrom, setLoadedFrom] = useState(settings.data);
  const [provider, setProvider] = useState<string>(() => providers.data?.default_provider ?? 'openai');
  const [errors, setErrors] = useState<Partial<Record<SettingKey, string>>>({});
  const [saveError, setSaveError] = useState<string | null>(null);
  const [testing, setTesting] = useState(false);
  const [testResult, setTestResult] = useState<(ValidateResponse & { failed?: boolean }) | null>(null);

  // The settings may arrive after the dialog opened: fill the fields the user has not touched.
  if (settings.data && settings.data !== loadedFrom) {
    const fresh = initialForm(settings.data);
    setForm((current) => {
      const next: FormState = { ...fresh };
      for (const [key, state] of Object.entries(current) as [SettingKey, FieldState][]) {
        if (state.dirty || state.clear) {
          next[key] = state;
        }
      }
      return next;
    });
    setLoadedFrom(settings.data);
  }

  const change = (key: SettingKey, patch: Partial<FieldState>) => {
    setForm((current) => {
      const previous = current[key] ?? { value: '', dirty: false, clear: false };
      const next: FormState = { ...current, [key]: { ...previous, ...patch } };
      if (key === 'default_ai_provider' && patch.value !== undefined) {
        const info = providers.data?.providers.find((p) => p.name === patch.value);
        next.default_ai_model = {
          value: info ? info.default_model || info.available_models[0] || '' : '',
          dirty: true,
          clear: false,
        };
      }
      return next;
    });
    setErrors((current) => ({ ...current, [key]: undefined }));
  };

  const submit = async () => {
    setSaveError(null);
    const { update, errors: found } = buildUpdate(form);
    setErrors(found);
    if (Object.keys(found).length > 0) {
      setSaveError('Please fix the highlighted fields.');
      return;
    }
    if (Object.keys(update).length === 0) {
      notify('info', 'No settings were changed.');
      onClose();
      return;
    }
    log('user', `Settings submitted (${Object.keys(update).length} fields)`);
    try {
      await save.mutateAsync(update);
      log('server', 'Settings updated');
      notify('success', 'Settings updated successfully!');
      onClose();
    } catch (error) {
      const message = errorMessage(error, 'Failed to update settings');
      log('server', `Settings update failed: ${message}`);
      setSaveError(message);
    }
  };

  const info = providers.data?.providers.find((p) => p.name === provider);

  const testConnection = async () => {
    if (!info) {
      return;
    }
    const prefix = info.name;
    // What is typed in this provider's key, URL and model fields (the URL only when changed).
    const fields = isKnown(prefix) ? PROVIDER_FIELDS[prefix] : [];
    const typed = (kind: FieldKind, changedOnly = false) => {
      const def = fields.find((d) => d.kind === kind);
      const state = def ? form[def.key] : undefined;
      return state && (!changedOnly || state.dirty) ? state.value.trim() : '';
    };
    const typedKey = typed('secret');
    const typedUrl = typed('url', true);
    const model =
      typed('model') ||
      info.default_model ||
      (fieldValue(form, 'default_ai_provider') === prefix ? fieldValue(form, 'default_ai_model').trim() : '') ||
      undefined;
    setTesting(true);
    setTestResult(null);
    log('user', `Connection test requested for ${info.display_name}`);
    try {
      const result = await client.validateProvider(prefix, {
        model,
        api_key: typedKey || undefined,
        base_url: typedUrl || undefined,
      });
      setTestResult(result);
      log('server', `Connection test for ${info.display_name}: ${result.valid ? 'valid' : 'invalid'}`);
    } catch (error) {
      reportError(error);
      setTestResult({
        provider: prefix,
        valid: false,
        message: errorMessage(error, `Failed to validate provider '${prefix}'.`),
        checked_model: model ?? '',
        failed: true,
      });
    } finally {
      setTesting(false);
    }
  };

  const fieldProps = { form, settings: settings.data, providers: providers.data, onChange: change };

  return (
    <Dialog
      title="Settings"
      onClose={onClose}
      className="dialog--wide"
      footer={
        <>
          <button type="button" className="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" form="settings-form" className="button button--primary" disabled={save.isPending}>
            {save.isPending ? 'Saving…' : 'Save settings'}
          </button>
        </>
      }
    >
      <TabList
        label="Settings sections"
        prefix="settings"
        selected={tab}
        onSelect={(id) => setTab(id as Tab)}
        tabs={[
          { id: 'general', label: 'General' },
          { id: 'providers', label: 'Providers' },
        ]}
      />
      {settings.isError ? (
        <p role="alert" className="form-error">
          {errorMessage(settings.error, 'Failed to load settings')}
        </p>
      ) : null}
      <form
        id="settings-form"
        className="form"
        noValidate
        onSubmit={(event) => {
          event.preventDefault();
          void submit();
        }}
      >
        <div
          role="tabpanel"
          id={panelId('settings', 'general')}
          aria-labelledby={tabId('settings', 'general')}
          hidden={tab !== 'general'}
        >
          {GENERAL_FIELDS.map((def) => (
            <SettingField key={def.key} def={def} error={errors[def.key]} {...fieldProps} />
          ))}
          <ThemeControl />
          <p className="muted small">Appearance is kept in this browser only.</p>
        </div>
        <div
          role="tabpanel"
          id={panelId('settings', 'providers')}
          aria-labelledby={tabId('settings', 'providers')}
          hidden={tab !== 'providers'}
        >
          <TabList
            label="Providers"
            prefix="provider"
            selected={provider}
            onSelect={(id) => {
              setProvider(id);
              setTestResult(null);
            }}
            tabs={(providers.data?.providers ?? []).map((p) => ({
              id: p.name,
              label: p.display_name,
              marker: p.configured ? '●' : undefined,
              note: p.configured ? 'configured' : 'not configured',
            }))}
          />
          {info ? (
            <div
              role="tabpanel"
              id={panelId('provider', info.name)}
              aria-labelledby={tabId('provider', info.name)}
              className="provider-panel"
            >
              <h3>{info.display_name}</h3>
              <p className="muted">{info.description}</p>
              <p className="small">
                <a href={info.homepage_url} target="_blank" rel="noopener noreferrer">
                  {info.homepage_url}
                </a>
                {info.configured ? (
                  <span className="badge badge--ok">Configured</span>
                ) : (
                  <span className="badge">Not configured</span>
                )}
              </p>
              {isKnown(info.name)
                ? PROVIDER_FIELDS[info.name].map((def) => (
                    <SettingField key={def.key} def={def} error={errors[def.key]} {...fieldProps} />
                  ))
                : null}
              {info.available_models.length > 0 ? (
                <div>
                  <p className="small">
                    {info.name === 'ollama'
                      ? 'Models (downloaded on first use when auto-pull is on):'
                      : 'Available models:'}
                  </p>
                  <ul className="tags" aria-label={`${info.display_name} models`}>
                    {info.available_models.map((m) => (
                      <li key={m} className="tag">
                        {m}
                      </li>
                    ))}
                  </ul>
                </div>
              ) : null}
              <div className="button-row">
                <button type="button" className="button" onClick={() => void testConnection()} disabled={testing}>
                  {testing ? 'Checking…' : `Test ${info.display_name} connection`}
                </button>
              </div>
              <div role="status" className="test-result" data-testid="test-result">
                {testResult ? (
                  <p className={testResult.valid ? 'success-text' : 'form-error'}>
                    {testResult.valid ? '✓ ' : '✗ '}
                    {testResult.message}
                    {testResult.checked_model ? (
                      <span className="muted small"> (model {testResult.checked_model})</span>
                    ) : null}
                  </p>
                ) : null}
              </div>
              <p className="muted small">The test uses the values typed here, even before you save.</p>
            </div>
          ) : (
            <p className="muted">{providers.isPending ? 'Loading providers…' : 'No providers available.'}</p>
          )}
        </div>
        {saveError ? (
          <p role="alert" className="form-error">
            {saveError}
          </p>
        ) : null}
      </form>
    </Dialog>
  );
}
