import type { ProvidersResponse, SettingsResponse } from '@contextpilot/contract';
import { useId } from 'react';

import { fieldValue, type FieldDef, type FieldState, type FormState } from './settings-form';

interface Props {
  def: FieldDef;
  form: FormState;
  settings: SettingsResponse | undefined;
  providers: ProvidersResponse | undefined;
  error?: string;
  onChange: (key: FieldDef['key'], next: Partial<FieldState>) => void;
}

/** One settings field. Secrets are write-only: a saved one shows as "saved", never its value. */
export function SettingField({ def, form, settings, providers, error, onChange }: Props) {
  const id = useId();
  const helpId = useId();
  const errorId = useId();
  const state = form[def.key] ?? { value: '', dirty: false, clear: false };
  const describedBy = [def.help ? helpId : '', error ? errorId : ''].filter(Boolean).join(' ') || undefined;
  const set = (value: string) => onChange(def.key, { value, dirty: true });

  let control;
  if (def.kind === 'secret') {
    const saved = def.setFlag ? settings?.[def.setFlag] === true : false;
    control = (
      <>
        <input
          id={id}
          type="password"
          autoComplete="new-password"
          spellCheck={false}
          value={state.value}
          disabled={state.clear}
          placeholder={saved ? 'A key is saved (hidden). Type to replace it' : def.placeholder}
          aria-describedby={describedBy}
          onChange={(event) => set(event.target.value)}
        />
        <div className="secret-state">
          {saved ? <span className="badge badge--ok">Saved</span> : <span className="badge">Not set</span>}
          {saved ? (
            <button
              type="button"
              className="button button--small"
              aria-pressed={state.clear}
              onClick={() => onChange(def.key, { clear: !state.clear, value: '', dirty: false })}
            >
              {state.clear ? 'Keep saved key' : 'Remove saved key'}
            </button>
          ) : null}
        </div>
        {state.clear ? <p className="small warning-text">The saved key will be removed when you save.</p> : null}
      </>
    );
  } else if (def.kind === 'provider') {
    control = (
      <select id={id} value={state.value} aria-describedby={describedBy} onChange={(event) => set(event.target.value)}>
        <option value="">Server default</option>
        {(providers?.providers ?? []).map((p) => (
          <option key={p.name} value={p.name}>
            {p.display_name}
            {p.configured ? '' : ' (not configured)'}
          </option>
        ))}
      </select>
    );
  } else if (def.kind === 'model' && !def.freeText) {
    const providerName = def.provider ?? fieldValue(form, 'default_ai_provider');
    const models = providers?.providers.find((p) => p.name === providerName)?.available_models ?? [];
    const options = state.value && !models.includes(state.value) ? [state.value, ...models] : models;
    control = (
      <select id={id} value={state.value} aria-describedby={describedBy} onChange={(event) => set(event.target.value)}>
        <option value="">{def.provider ? 'Use global default' : 'Provider default'}</option>
        {options.map((m) => (
          <option key={m} value={m}>
            {m}
          </option>
        ))}
      </select>
    );
  } else {
    const numeric = def.kind === 'number' || def.kind === 'integer';
    const listId = def.kind === 'model' && def.provider ? `${id}-models` : undefined;
    const models = def.provider
      ? (providers?.providers.find((p) => p.name === def.provider)?.available_models ?? [])
      : [];
    control = (
      <>
        <input
          id={id}
          type={numeric ? 'number' : def.kind === 'url' ? 'url' : 'text'}
          inputMode={def.kind === 'integer' ? 'numeric' : def.kind === 'number' ? 'decimal' : undefined}
          min={def.min}
          max={def.max}
          step={def.step}
          value={state.value}
          placeholder={def.placeholder}
          list={listId}
          aria-invalid={error ? true : undefined}
          aria-describedby={describedBy}
          onChange={(event) => set(event.target.value)}
        />
        {listId ? (
          <datalist id={listId}>
            {models.map((m) => (
              <option key={m} value={m} />
            ))}
          </datalist>
        ) : null}
      </>
    );
  }

  return (
    <div className="field">
      <label htmlFor={id}>{def.label}</label>
      {control}
      {def.help ? (
        <p id={helpId} className="muted small">
          {def.help}
        </p>
      ) : null}
      {error ? (
        <p id={errorId} className="form-error" role="alert">
          {error}
        </p>
      ) : null}
    </div>
  );
}
