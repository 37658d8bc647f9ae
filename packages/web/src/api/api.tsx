import { createClient, type ContextPilotClient } from '@contextpilot/client';
import { MutationCache, QueryCache, QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { createContext, useContext, type ReactNode } from 'react';

import { createCredentialStore, type CredentialStore } from './credentials';
import { authNeed, shouldRetry, type AuthNeed } from './errors';

/** Everything the UI needs to talk to the server: the SDK, the credentials it sends, and the "need a key" signal. */
export interface Api {
  client: ContextPilotClient;
  credentials: CredentialStore;
  /** Called when a request was refused for lack of a key or signature. */
  onAuthNeeded: (listener: (need: AuthNeed) => void) => () => void;
  /** Reports an error from any call; opens the credential prompt when it is an auth failure. */
  reportError: (error: unknown) => void;
}

export function createApi(options: { fetch?: typeof fetch; baseUrl?: string } = {}): Api {
  const credentials = createCredentialStore();
  const listeners = new Set<(need: AuthNeed) => void>();
  const client = createClient({
    baseUrl: options.baseUrl ?? '',
    apiKey: () => credentials.get().apiKey || undefined,
    signingSecret: () => credentials.get().signingSecret || undefined,
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  return {
    client,
    credentials,
    onAuthNeeded: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    reportError: (error) => {
      const need = authNeed(error);
      if (need) {
        for (const listener of listeners) {
          listener(need);
        }
      }
    },
  };
}

export function createQueryClient(api: Api): QueryClient {
  return new QueryClient({
    queryCache: new QueryCache({ onError: (error) => api.reportError(error) }),
    mutationCache: new MutationCache({ onError: (error) => api.reportError(error) }),
    defaultOptions: {
      queries: { retry: shouldRetry, staleTime: 30_000, refetchOnWindowFocus: false },
      mutations: { retry: false },
    },
  });
}

const ApiContext = createContext<Api | null>(null);

/** What the providers around the app are given: the API client, the query cache and the app itself. */
export interface ApiProviderProps {
  api: Api;
  queryClient: QueryClient;
  children: ReactNode;
}

export function ApiProvider({ api, queryClient, children }: ApiProviderProps) {
  return (
    <ApiContext.Provider value={api}>
      <QueryClientProvider client={queryClient}>{children}</QueryClientProvider>
    </ApiContext.Provider>
  );
}

export function useApi(): Api {
  const api = useContext(ApiContext);
  if (!api) {
    throw new Error('useApi must be used inside <ApiProvider>');
  }
  return api;
}
