import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startOpenAiChatFake, type ChatFake } from '../../server/test/fakes/openai-chat-fake.js';
import { sentBodies, useE2e, until } from './harness.js';

/** Relative luminance (0 black … 1 white) of the page's background colour. */
async function backgroundLuminance(page: Page): Promise<number> {
  return page.evaluate(() => {
    const color = getComputedStyle(document.body).backgroundColor;
    const [r = 0, g = 0, b = 0] = (color.match(/[\d.]+/g) ?? []).map(Number);
    const lin = (c: number) => {
      const s = c / 255;
      return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
    };
    return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
  });
}

async function themeState(page: Page) {
  return page.evaluate(() => ({
    dataTheme: document.documentElement.dataset.theme ?? null,
    stored: localStorage.getItem('contextpilot-theme'),
  }));
}

describe('settings and appearance', () => {
  const e2e = useE2e();
  /** A second OpenAI-compatible gateway that accepts only the key typed in the settings dialog. */
  let gateway: ChatFake;
  const TYPED_KEY = 'sk-typed-in-the-browser';

  beforeAll(async () => {
    gateway = await startOpenAiChatFake({ apiKey: TYPED_KEY });
  });
  afterAll(async () => {
    await gateway.close();
  });

  it('tests a connection with the typed key and URL before saving, then saves the settings', async () => {
    const session = await e2e.open();
    const { page } = session;
    const { app, client } = e2e.server;
    const before = await client.getSettings();

    await page.getByRole('button', { name: 'Settings' }).click();
    const dialog = page.getByRole('dialog', { name: 'Settings' });
    expect(await dialog.getByRole('tab', { name: 'General' }).getAttribute('aria-selected')).toBe('true');
    await dialog.getByLabel('Temperature', { exact: true }).fill('0.4');
    await dialog.getByLabel('Max tokens', { exact: true }).fill('1500');

    await dialog.getByRole('tab', { name: 'Providers' }).click();
    await dialog.getByRole('tab', { name: /^OpenAI/ }).click();
    const panel = dialog.getByRole('tabpanel', { name: /^OpenAI/ });
    await panel.getByLabel('API key').fill(TYPED_KEY);
    await panel.getByLabel('Base URL (optional)').fill(`${gateway.url}/v1`);
    await panel.getByRole('button', { name: 'Test OpenAI connection' }).click();
    const result = panel.getByTestId('test-result');
    await result.getByText(/^✓ OpenAI connection and API key are valid\./).waitFor();

    // The typed values reached the gateway (the key it accepts), before anything was saved.
    const modelCalls = gateway.requests.filter((r) => r.method === 'GET' && r.path === '/v1/models');
    expect(modelCalls).toHaveLength(1);
    expect(modelCalls[0]?.headers.authorization).toBe(`Bearer ${TYPED_KEY}`);
    const validate = sentBodies(session, 'POST', '/providers/openai/validate');
    expect(validate).toEqual([{ api_key: TYPED_KEY, base_url: `${gateway.url}/v1` }]);
    expect((await client.getSettings()).openai_base_url).toBe(before.openai_base_url);

    await dialog.getByRole('button', { name: 'Save settings' }).click();
    await page.getByRole('region', { name: 'Notifications' }).getByText('Settings updated successfully!').waitFor();
    await dialog.waitFor({ state: 'detached' });

    // Only what changed was sent, and the server keeps it.
    const saved = sentBodies(session, 'POST', '/settings');
    expect(saved).toEqual([
      { ai_temperature: 0.4, ai_max_tokens: 1500, openai_api_key: TYPED_KEY, openai_base_url: `${gateway.url}/v1` },
    ]);
    const after = await client.getSettings();
    expect(after).toMatchObject({
      ai_temperature: 0.4,
      ai_max_tokens: 1500,
      openai_api_key_set: true,
      openai_base_url: `${gateway.url}/v1`,
    });
    expect(JSON.stringify(after)).not.toContain(TYPED_KEY);

    // The next chat goes to the saved gateway with the saved key.
    const chat = await app.inject({
      method: 'POST',
      url: '/ai/chat',
      payload: { task: 'Say hello', max_context_units: 0 },
    });
    expect(chat.statusCode).toBe(200);
    const completion = gateway.requests.find((r) => r.method === 'POST' && r.path === '/v1/chat/completions');
    expect(completion?.headers.authorization).toBe(`Bearer ${TYPED_KEY}`);
    expect(completion?.body).toMatchObject({ temperature: 0.4, max_tokens: 1500 });

    // Reopened, the dialog shows the saved values and never the key.
    await page.getByRole('button', { name: 'Settings' }).click();
    const again = page.getByRole('dialog', { name: 'Settings' });
    await until(
      async () => (await again.getByLabel('Temperature', { exact: true }).inputValue()) === '0.4',
      'saved temperature shown',
    );
    await again.getByRole('tab', { name: 'Providers' }).click();
    const key = again.getByRole('tabpanel', { name: /^OpenAI/ }).getByLabel('API key');
    expect(await key.inputValue()).toBe('');
    expect(await key.getAttribute('placeholder')).toMatch(/saved/i);
    await page.keyboard.press('Escape');
    await again.waitFor({ state: 'detached' });
  });

  it('follows a dark system theme, and a toggled choice persists across reloads', async () => {
    const session = await e2e.open({ colorScheme: 'dark' });
    const { page } = session;
    const toggle = page.getByRole('button', { name: 'Dark mode' });
    await toggle.waitFor();
    expect(await toggle.getAttribute('aria-pressed')).toBe('true');
    expect(await themeState(page)).toEqual({ dataTheme: null, stored: null });
    const dark = await backgroundLuminance(page);
    expect(dark).toBeLessThan(0.1);

    await toggle.click();
    await until(async () => (await toggle.getAttribute('aria-pressed')) === 'false', 'light after toggle');
    expect(await themeState(page)).toEqual({ dataTheme: 'light', stored: 'light' });
    expect(await backgroundLuminance(page)).toBeGreaterThan(0.6);

    await session.reload();
    await toggle.waitFor();
    expect(await toggle.getAttribute('aria-pressed')).toBe('false');
    expect(await themeState(page)).toEqual({ dataTheme: 'light', stored: 'light' });
    expect(await backgroundLuminance(page)).toBeGreaterThan(0.6);

    await toggle.click();
    await until(async () => (await toggle.getAttribute('aria-pressed')) === 'true', 'dark after toggle');
    await session.reload();
    await toggle.waitFor();
    expect(await toggle.getAttribute('aria-pressed')).toBe('true');
    expect(await themeState(page)).toEqual({ dataTheme: 'dark', stored: 'dark' });
    expect(await backgroundLuminance(page)).toBeLessThan(0.1);

    // A light system keeps the explicit dark choice; the appearance is never sent to the server.
    await page.emulateMedia({ colorScheme: 'light' });
    expect(await toggle.getAttribute('aria-pressed')).toBe('true');
    expect(await backgroundLuminance(page)).toBeLessThan(0.1);
    expect(session.requests.filter((r) => r.method !== 'GET')).toEqual([]);
  });
});
