import { useCallback, useSyncExternalStore } from 'react';

/**
 * Views are hash routes (`#/chat`, `#/chat/<conversation id>`, `#/contexts`): the server owns every path, and the
 * back button and links to a conversation still work.
 */
export type Route = { view: 'chat'; conversationId: string | null } | { view: 'contexts' };

export function parseHash(hash: string): Route {
  const path = hash.replace(/^#/, '').replace(/^\/+/, '');
  const [head, ...rest] = path.split('/');
  if (head === 'contexts') {
    return { view: 'contexts' };
  }
  if (head === 'chat' && rest.length > 0 && rest[0]) {
    return { view: 'chat', conversationId: decodeURIComponent(rest.join('/')) };
  }
  return { view: 'chat', conversationId: null };
}

export function routeHash(route: Route): string {
  if (route.view === 'contexts') {
    return '#/contexts';
  }
  return route.conversationId ? `#/chat/${encodeURIComponent(route.conversationId)}` : '#/chat';
}

function subscribe(listener: () => void): () => void {
  window.addEventListener('hashchange', listener);
  return () => window.removeEventListener('hashchange', listener);
}

const getHash = () => window.location.hash;

export function useRoute(): [Route, (route: Route, options?: { replace?: boolean }) => void] {
  const hash = useSyncExternalStore(subscribe, getHash, () => '');
  const navigate = useCallback((route: Route, options: { replace?: boolean } = {}) => {
    const next = routeHash(route);
    if (next === window.location.hash) {
      return;
    }
    if (options.replace) {
      window.history.replaceState(null, '', next);
      window.dispatchEvent(new HashChangeEvent('hashchange'));
    } else {
      window.location.hash = next;
    }
  }, []);
  return [parseHash(hash), navigate];
}
