import { useSyncExternalStore } from 'react';

import { readStorage, writeStorage } from '../../lib/storage';

/** `system` follows prefers-color-scheme; `light` / `dark` are the user's own choice, remembered in localStorage. */
export type ThemeChoice = 'system' | 'light' | 'dark';

export const THEME_STORAGE = 'contextpilot-theme';

const listeners = new Set<() => void>();

export function readThemeChoice(): ThemeChoice {
  const saved = readStorage('local', THEME_STORAGE);
  return saved === 'light' || saved === 'dark' ? saved : 'system';
}

/** Sets `data-theme` on <html> for an explicit choice; without it the stylesheet follows the system setting. */
export function applyTheme(choice: ThemeChoice): void {
  const root = document.documentElement;
  if (choice === 'system') {
    delete root.dataset.theme;
  } else {
    root.dataset.theme = choice;
  }
}

export function setThemeChoice(choice: ThemeChoice): void {
  writeStorage('local', THEME_STORAGE, choice === 'system' ? null : choice);
  applyTheme(choice);
  for (const listener of listeners) {
    listener();
  }
}

export function systemPrefersDark(): boolean {
  return typeof window.matchMedia === 'function' && window.matchMedia('(prefers-color-scheme: dark)').matches;
}

export function useThemeChoice(): ThemeChoice {
  return useSyncExternalStore(
    (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    readThemeChoice,
    () => 'system',
  );
}
