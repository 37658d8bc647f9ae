import { useEffect, useState } from 'react';

import { ApiProvider, type ApiProviderProps } from '../api/api';
import { ErrorBoundary } from '../components/ErrorBoundary';
import { NotificationsProvider } from '../components/Notifications';
import { ActivityLogProvider } from '../features/activity/activity-log';
import { AuthPromptProvider } from '../features/auth/AuthPrompt';
import { ChatPage } from '../features/chat/ChatPage';
import { ContextsView } from '../features/contexts/ContextsView';
import { SettingsDialog } from '../features/settings/SettingsDialog';
import { Header } from './Header';
import { useRoute } from './routes';

/** Providers around the app: activity log, notifications, API + queries, and the credential prompt. */
export function AppProviders({ api, queryClient, children }: ApiProviderProps) {
  return (
    <ActivityLogProvider>
      <NotificationsProvider>
        <ApiProvider api={api} queryClient={queryClient}>
          <AuthPromptProvider>{children}</AuthPromptProvider>
        </ApiProvider>
      </NotificationsProvider>
    </ActivityLogProvider>
  );
}

export function App({ api, queryClient }: Omit<ApiProviderProps, 'children'>) {
  return (
    <AppProviders api={api} queryClient={queryClient}>
      <Shell />
    </AppProviders>
  );
}

function Shell() {
  const [route, navigate] = useRoute();
  const [settingsOpen, setSettingsOpen] = useState(false);
  // The contexts view mounts on first visit and then stays, like the chat, so neither loses its state.
  const [contextsVisited, setContextsVisited] = useState(route.view === 'contexts');
  useEffect(() => {
    if (route.view === 'contexts') {
      setContextsVisited(true);
    }
  }, [route.view]);

  useEffect(() => {
    document.title = route.view === 'contexts' ? 'Contexts · ContextPilot' : 'ContextPilot';
  }, [route.view]);

  return (
    <div className="app">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <Header view={route.view} onOpenSettings={() => setSettingsOpen(true)} />
      <main id="main" className="app__main" tabIndex={-1}>
        <div hidden={route.view !== 'chat'} className="view">
          <ErrorBoundary label="The chat">
            <ChatPage conversationId={route.view === 'chat' ? route.conversationId : null} navigate={navigate} />
          </ErrorBoundary>
        </div>
        {contextsVisited ? (
          <div hidden={route.view !== 'contexts'} className="view">
            <ErrorBoundary label="The contexts view">
              <ContextsView />
            </ErrorBoundary>
          </div>
        ) : null}
      </main>
      {settingsOpen ? <SettingsDialog onClose={() => setSettingsOpen(false)} /> : null}
    </div>
  );
}
