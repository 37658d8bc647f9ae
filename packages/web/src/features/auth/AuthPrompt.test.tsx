import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';

import { API_KEY_STORAGE, SIGNING_SECRET_STORAGE } from '../../api/credentials';
import { apiError, json, stats, type MockRequest } from '../../test/mock-api';
import { renderApp } from '../../test/render';

const KEY = 'the-right-key';
const authed = (r: MockRequest) => r.headers['X-API-Key'] === KEY;

describe('Authentication prompt', () => {
  it('asks for the API key on 401, keeps it in sessionStorage and retries with it', async () => {
    const user = userEvent.setup();
    const app = renderApp({
      'GET /stats': (r) =>
        authed(r)
          ? json(stats({ active_contexts: 7 }))
          : apiError(401, 'API key required: missing or invalid X-API-Key header'),
    });
    const dialog = await screen.findByRole('dialog', { name: 'Authentication required' });
    expect(within(dialog).getByText(/needs an API key/)).toBeInTheDocument();
    const input = within(dialog).getByLabelText('API key');
    expect(input).toHaveFocus();
    await user.type(input, KEY);
    await user.click(within(dialog).getByRole('button', { name: 'Save and retry' }));
    expect(await screen.findByText('Available contexts: 7')).toBeInTheDocument();
    expect(sessionStorage.getItem(API_KEY_STORAGE)).toBe(KEY);
    expect(localStorage.getItem(API_KEY_STORAGE)).toBeNull();
    expect(app.calls('GET /stats').at(-1)?.headers['X-API-Key']).toBe(KEY);
  });

  it('comes back when a later call is refused', async () => {
    const user = userEvent.setup();
    sessionStorage.setItem(API_KEY_STORAGE, 'rotated-away');
    renderApp({
      'GET /stats': (r) =>
        authed(r) ? json(stats()) : apiError(401, 'API key required: missing or invalid X-API-Key header'),
    });
    const dialog = await screen.findByRole('dialog', { name: 'Authentication required' });
    expect(within(dialog).getByLabelText('API key')).toHaveAttribute(
      'placeholder',
      'A key is saved for this tab; type to replace it',
    );
    await user.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
  });

  it('asks for the signing secret when a signed call is refused, and signs the retry', async () => {
    const user = userEvent.setup();
    let signed: MockRequest | undefined;
    const app = renderApp({
      'POST /contexts': (r) => {
        if (!r.headers['X-Request-Signature']) {
          return apiError(401, 'Missing request signature headers');
        }
        signed = r;
        return json(
          {
            id: 'n',
            type: 'fact',
            content: 'x',
            confidence: 1,
            created_at: '',
            last_used: null,
            source: 'manual',
            tags: [],
            status: 'active',
            superseded_by: null,
          },
          201,
        );
      },
    });
    window.location.hash = '#/contexts';
    const form = await screen.findByRole('form', { name: 'Add context' });
    await user.type(within(form).getByRole('textbox', { name: 'Content' }), 'x');
    await user.click(within(form).getByRole('button', { name: 'Add context' }));
    const dialog = await screen.findByRole('dialog', { name: 'Authentication required' });
    expect(within(dialog).getByRole('checkbox', { name: 'Request signing is on' })).toBeChecked();
    const secret = within(dialog).getByLabelText('Signing secret');
    expect(secret).toHaveFocus();
    await user.type(secret, 'shh');
    await user.click(within(dialog).getByRole('button', { name: 'Save and retry' }));
    expect(sessionStorage.getItem(SIGNING_SECRET_STORAGE)).toBe('shh');
    await user.click(within(form).getByRole('button', { name: 'Add context' }));
    await waitFor(() => expect(signed).toBeDefined());
    expect(signed?.headers['X-Request-Signature']).toMatch(/^[0-9a-f]{64}$/);
    expect(signed?.headers['X-Request-Timestamp']).toMatch(/^\d+$/);
    expect(app.calls('POST /contexts')).toHaveLength(2);
  });

  it('can be opened by hand to enter or forget credentials', async () => {
    const user = userEvent.setup();
    sessionStorage.setItem(API_KEY_STORAGE, 'k');
    renderApp();
    await user.click(screen.getByRole('button', { name: 'Connection and API key' }));
    const dialog = await screen.findByRole('dialog', { name: 'Connection' });
    await user.click(within(dialog).getByRole('button', { name: 'Forget saved credentials' }));
    expect(sessionStorage.getItem(API_KEY_STORAGE)).toBeNull();
  });
});
