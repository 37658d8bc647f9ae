import { screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';

import { renderApp } from '../../test/render';
import { setMedia } from '../../test/setup';
import { applyTheme, readThemeChoice, THEME_STORAGE } from './theme';

describe('theme', () => {
  it('follows the system until the user chooses, then remembers the choice', async () => {
    const user = userEvent.setup();
    setMedia({ dark: true });
    applyTheme(readThemeChoice());
    renderApp();
    expect(document.documentElement.dataset.theme).toBeUndefined();
    const toggle = screen.getByRole('button', { name: 'Dark mode' });
    expect(toggle).toHaveAttribute('aria-pressed', 'true');
    await user.click(toggle);
    expect(document.documentElement.dataset.theme).toBe('light');
    expect(localStorage.getItem(THEME_STORAGE)).toBe('light');
    expect(toggle).toHaveAttribute('aria-pressed', 'false');
  });

  it('offers System / Light / Dark in the settings, and System forgets the choice', async () => {
    const user = userEvent.setup();
    localStorage.setItem(THEME_STORAGE, 'dark');
    renderApp();
    await user.click(screen.getByRole('button', { name: 'Settings' }));
    const system = await screen.findByRole('radio', { name: /System/ });
    expect(screen.getByRole('radio', { name: 'Dark' })).toBeChecked();
    await user.click(system);
    expect(localStorage.getItem(THEME_STORAGE)).toBeNull();
    expect(document.documentElement.dataset.theme).toBeUndefined();
  });
});
