import '@testing-library/jest-dom/vitest';

import { cleanup } from '@testing-library/react';
import { afterEach, beforeEach, vi } from 'vitest';

// happy-dom has no matchMedia listeners worth using: a stub whose answers tests can change.
const media = { wide: false, dark: false };
export function setMedia(next: Partial<typeof media>): void {
  Object.assign(media, next);
}

beforeEach(() => {
  setMedia({ wide: false, dark: false });
  window.matchMedia = vi.fn((query: string) => ({
    matches: query.includes('prefers-color-scheme: dark')
      ? media.dark
      : query.includes('min-width')
        ? media.wide
        : false,
    media: query,
    onchange: null,
    addEventListener: () => undefined,
    removeEventListener: () => undefined,
    addListener: () => undefined,
    removeListener: () => undefined,
    dispatchEvent: () => false,
  }));
  localStorage.clear();
  sessionStorage.clear();
  window.history.replaceState(null, '', '/');
  delete document.documentElement.dataset.theme;
});

afterEach(() => {
  cleanup();
});
