import { readStorage, writeStorage } from '../lib/storage';

/** The API key and the signing secret, kept in sessionStorage only (gone when the tab closes). */
export interface Credentials {
  apiKey: string;
  signingSecret: string;
}

export const API_KEY_STORAGE = 'contextpilot.apiKey';
export const SIGNING_SECRET_STORAGE = 'contextpilot.signingSecret';

export interface CredentialStore {
  get(): Credentials;
  set(next: Partial<Credentials>): void;
  clear(): void;
  subscribe(listener: () => void): () => void;
}

export function createCredentialStore(): CredentialStore {
  const listeners = new Set<() => void>();
  let current: Credentials = {
    apiKey: readStorage('session', API_KEY_STORAGE) ?? '',
    signingSecret: readStorage('session', SIGNING_SECRET_STORAGE) ?? '',
  };
  const save = (next: Credentials) => {
    current = next;
    writeStorage('session', API_KEY_STORAGE, next.apiKey || null);
    writeStorage('session', SIGNING_SECRET_STORAGE, next.signingSecret || null);
    for (const listener of listeners) {
      listener();
    }
  };
  return {
    get: () => current,
    set: (next) => save({ ...current, ...next }),
    clear: () => save({ apiKey: '', signingSecret: '' }),
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
