import type { ProvidersResponse } from '@contextpilot/contract';
import { useId, useState } from 'react';

import { LIMITS, modelOptions, providerDefaultModel, type ChatParams } from './chat-params';

interface Props {
  params: ChatParams;
  onChange: (patch: Partial<ChatParams>) => void;
  providers: ProvidersResponse | undefined;
  showRefresh: boolean;
  disabled: boolean;
  /** Open at first (wide screens); folded on phones so the messages get the room. */
  initiallyOpen?: boolean;
}

/** Provider, model, how many contexts, reply length and temperature for this chat. */
export function ChatSettings({ params, onChange, providers, showRefresh, disabled, initiallyOpen = true }: Props) {
  const [open, setOpen] = useState(initiallyOpen);
  const ids = {
    provider: useId(),
    model: useId(),
    contexts: useId(),
    tokens: useId(),
    temperature: useId(),
    refresh: useId(),
  };
  const list = providers?.providers ?? [];
  const current = list.find((p) => p.name === params.provider);
  const models = modelOptions(current, params.model);
  const unconfigured = current && !current.configured;
  return (
    <details className="chat-settings" open={open} onToggle={(event) => setOpen(event.currentTarget.open)}>
      <summary>Chat settings</summary>
      <div className="chat-settings__grid">
        <div className="field">
          <label htmlFor={ids.provider}>Provider</label>
          <select
            id={ids.provider}
            value={params.provider}
            disabled={disabled}
            onChange={(event) => {
              const next = list.find((p) => p.name === event.target.value);
              onChange({ provider: event.target.value, model: providerDefaultModel(next, providers) });
            }}
          >
            {list.length === 0 ? <option value="">Server default</option> : null}
            {list.map((p) => (
              <option key={p.name} value={p.name}>
                {p.display_name}
                {p.configured ? '' : ' (not configured)'}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor={ids.model}>Model</label>
          <select
            id={ids.model}
            value={params.model}
            disabled={disabled || models.length === 0}
            onChange={(event) => onChange({ model: event.target.value })}
          >
            {models.length === 0 ? <option value="">No models available</option> : null}
            {models.map((m) => (
              <option key={m} value={m}>
                {m}
              </option>
            ))}
          </select>
        </div>
        <div className="field field--narrow">
          <label htmlFor={ids.contexts}>Max contexts</label>
          <input
            id={ids.contexts}
            type="number"
            inputMode="numeric"
            min={LIMITS.maxContexts.min}
            max={LIMITS.maxContexts.max}
            step={1}
            value={params.maxContexts}
            disabled={disabled}
            onChange={(event) => onChange({ maxContexts: event.target.value })}
          />
        </div>
        <div className="field field--narrow">
          <label htmlFor={ids.tokens}>Max tokens</label>
          <input
            id={ids.tokens}
            type="number"
            inputMode="numeric"
            min={LIMITS.maxTokens.min}
            max={LIMITS.maxTokens.max}
            step={100}
            value={params.maxTokens}
            disabled={disabled}
            onChange={(event) => onChange({ maxTokens: event.target.value })}
          />
        </div>
        <div className="field field--narrow">
          <label htmlFor={ids.temperature}>Temperature</label>
          <input
            id={ids.temperature}
            type="number"
            inputMode="decimal"
            min={LIMITS.temperature.min}
            max={LIMITS.temperature.max}
            step={0.1}
            value={params.temperature}
            disabled={disabled}
            onChange={(event) => onChange({ temperature: event.target.value })}
          />
        </div>
        {showRefresh ? (
          <label
            className="checkbox"
            htmlFor={ids.refresh}
            title="Follow-ups normally send no contexts: the conversation already has them"
          >
            <input
              id={ids.refresh}
              type="checkbox"
              checked={params.refreshContexts}
              disabled={disabled}
              onChange={(event) => onChange({ refreshContexts: event.target.checked })}
            />
            Refresh contexts on follow-ups
          </label>
        ) : null}
      </div>
      {unconfigured ? (
        <p className="muted small" role="note">
          {current.display_name} is not configured yet: add its {current.requires_api_key ? 'API key' : 'URL'} in
          Settings.
        </p>
      ) : null}
    </details>
  );
}
