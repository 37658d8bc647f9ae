import { useQueryClient } from '@tanstack/react-query';
import {
  createContext,
  useCallback,
  useContext,
  useEffect,
  useId,
  useMemo,
  useRef,
  useState,
  type ReactNode,
} from 'react';

import { useApi } from '../../api/api';
import type { AuthNeed } from '../../api/errors';
import { Dialog } from '../../components/Dialog';
import { useNotify } from '../../components/Notifications';
import { useActivityLog } from '../activity/activity-log';

type PromptReason = AuthNeed | 'manual';

const AuthPromptContext = createContext<((reason?: PromptReason) => void) | null>(null);

const INTRO: Record<PromptReason, string> = {
  'api-key': 'The server needs an API key. It is kept in this browser tab only (sessionStorage) and sent as X-API-Key.',
  signing:
    'The server needs signed requests. Enter the request-signing secret; it stays in this browser tab only and is never sent, only used to sign.',
  manual: 'The API key and request-signing secret this tab uses. Both are kept in sessionStorage only.',
};

/**
 * Asks for the API key (and the signing secret when signing is on) whenever a call is refused with 401, or a
 * signed call with 503; saving retries every failed query with the new credentials.
 */
export function AuthPromptProvider({ children }: { children: ReactNode }) {
  const api = useApi();
  const [reason, setReason] = useState<PromptReason | null>(null);
  const open = useCallback((next: PromptReason = 'manual') => setReason(next), []);

  useEffect(() => api.onAuthNeeded((need) => setReason((current) => (current === 'signing' ? current : need))), [api]);

  return (
    <AuthPromptContext.Provider value={open}>
      {children}
      {reason ? <AuthDialog reason={reason} onClose={() => setReason(null)} /> : null}
    </AuthPromptContext.Provider>
  );
}

export function useAuthPrompt(): (reason?: PromptReason) => void {
  const open = useContext(AuthPromptContext);
  if (!open) {
    throw new Error('useAuthPrompt must be used inside <AuthPromptProvider>');
  }
  return open;
}

function AuthDialog({ reason, onClose }: { reason: PromptReason; onClose: () => void }) {
  const { credentials } = useApi();
  const queryClient = useQueryClient();
  const notify = useNotify();
  const { log } = useActivityLog();
  const saved = useMemo(() => credentials.get(), [credentials]);
  const [apiKey, setApiKey] = useState('');
  const [signingOn, setSigningOn] = useState(reason === 'signing' || saved.signingSecret !== '');
  const [secret, setSecret] = useState('');
  const keyRef = useRef<HTMLInputElement>(null);
  const secretRef = useRef<HTMLInputElement>(null);
  const keyId = useId();
  const secretId = useId();
  const signingId = useId();

  const submit = () => {
    credentials.set({
      apiKey: apiKey.trim() || saved.apiKey,
      signingSecret: signingOn ? secret || saved.signingSecret : '',
    });
    log('user', 'Connection credentials updated for this tab');
    onClose();
    notify('success', 'Credentials saved for this tab. Retrying…');
    void queryClient.invalidateQueries();
  };

  return (
    <Dialog
      title={reason === 'manual' ? 'Connection' : 'Authentication required'}
      description={INTRO[reason]}
      onClose={onClose}
      initialFocus={reason === 'signing' ? secretRef : keyRef}
      footer={
        <>
          <button
            type="button"
            className="button"
            onClick={() => {
              credentials.clear();
              log('user', 'Connection credentials removed from this tab');
              notify('info', 'Saved credentials removed from this tab.');
              onClose();
            }}
            disabled={saved.apiKey === '' && saved.signingSecret === ''}
          >
            Forget saved credentials
          </button>
          <button type="button" className="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" form="auth-form" className="button button--primary">
            Save and retry
          </button>
        </>
      }
    >
      <form
        id="auth-form"
        className="form"
        onSubmit={(event) => {
          event.preventDefault();
          submit();
        }}
      >
        <div className="field">
          <label htmlFor={keyId}>API key</label>
          <input
            ref={keyRef}
            id={keyId}
            type="password"
            autoComplete="off"
            spellCheck={false}
            value={apiKey}
            placeholder={saved.apiKey ? 'A key is saved for this tab; type to replace it' : 'Paste the API key'}
            onChange={(event) => setApiKey(event.target.value)}
          />
        </div>
        <label className="checkbox" htmlFor={signingId}>
          <input
            id={signingId}
            type="checkbox"
            checked={signingOn}
            onChange={(event) => setSigningOn(event.target.checked)}
          />
          Request signing is on
        </label>
        {signingOn ? (
          <div className="field">
            <label htmlFor={secretId}>Signing secret</label>
            <input
              ref={secretRef}
              id={secretId}
              type="password"
              autoComplete="off"
              spellCheck={false}
              value={secret}
              placeholder={
                saved.signingSecret ? 'A secret is saved for this tab; type to replace it' : 'The shared signing secret'
              }
              onChange={(event) => setSecret(event.target.value)}
            />
          </div>
        ) : null}
      </form>
    </Dialog>
  );
}
