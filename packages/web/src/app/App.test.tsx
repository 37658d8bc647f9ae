import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';

import { renderApp } from '../test/render';

describe('App shell', () => {
  it('loads the chat view with the welcome state and the counts', async () => {
    renderApp();
    expect(await screen.findByRole('heading', { name: 'Ready to chat!' })).toBeInTheDocument();
    expect(await screen.findByText('Available contexts: 1')).toBeInTheDocument();
    expect(screen.getByRole('heading', { name: 'New chat' })).toBeInTheDocument();
    expect(screen.getByRole('link', { name: 'Chat' })).toHaveAttribute('aria-current', 'page');
  });

  it('switches views with hash routes', async () => {
    const user = userEvent.setup();
    renderApp();
    await user.click(screen.getByRole('link', { name: 'Contexts' }));
    expect(await screen.findByRole('heading', { name: 'Contexts', level: 2 })).toBeInTheDocument();
    expect(window.location.hash).toBe('#/contexts');
    const list = await screen.findByRole('listitem', { name: /Preference: I like tea/ });
    expect(within(list).getByText('90% confidence')).toBeInTheDocument();
  });
});
