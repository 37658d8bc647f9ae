import { render, type RenderResult } from '@testing-library/react';
import type { ReactElement } from 'react';

import { createApi, createQueryClient } from '../api/api';
import { App, AppProviders } from '../app/App';
import { createMockFetch, type Handler } from './mock-api';

export function setupApp(handlers: Record<string, Handler> = {}) {
  const mock = createMockFetch(handlers);
  const api = createApi({ fetch: mock.fetch });
  const queryClient = createQueryClient(api);
  queryClient.setDefaultOptions({
    queries: { ...queryClient.getDefaultOptions().queries, retry: false, staleTime: Infinity, gcTime: Infinity },
    mutations: { retry: false },
  });
  return { ...mock, api, queryClient };
}

/** Renders the whole app against a mocked fetch. */
export function renderApp(handlers: Record<string, Handler> = {}): RenderResult & ReturnType<typeof setupApp> {
  const setup = setupApp(handlers);
  const result = render(<App api={setup.api} queryClient={setup.queryClient} />);
  return { ...result, ...setup };
}

/** Renders one component inside the app's providers against a mocked fetch. */
export function renderWithProviders(
  ui: ReactElement,
  handlers: Record<string, Handler> = {},
): RenderResult & ReturnType<typeof setupApp> {
  const setup = setupApp(handlers);
  const result = render(ui, {
    wrapper: ({ children }) => (
      <AppProviders api={setup.api} queryClient={setup.queryClient}>
        {children}
      </AppProviders>
    ),
  });
  return { ...result, ...setup };
}
