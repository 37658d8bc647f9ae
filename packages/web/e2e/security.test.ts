import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';

import { useBrowser, useE2e, until } from './harness.js';
import { DIST_DIR } from './paths.js';

const API_KEY = 'e2e-api-key-4f9c2b7a1d';
const SIGNING_SECRET = 'e2e-signing-secret-8c1e5a';

/** Everything the page keeps in localStorage, as one string. */
function localStorageText(page: Page): Promise<string> {
  return page.evaluate(() => JSON.stringify(Object.entries(localStorage)));
}

const browser = useBrowser();

describe('a server with API-key authentication', () => {
  const e2e = useE2e(
    { env: { CONTEXTPILOT_ENABLE_AUTH: 'true', CONTEXTPILOT_API_KEY: API_KEY }, apiKey: API_KEY },
    browser,
  );

  it('asks for the key, keeps it in sessionStorage only, sends it as X-API-Key, and asks again for a wrong key', async () => {
    const session = await e2e.open({ allow: { statuses: [401] } });
    const { page } = session;
    const prompt = page.getByRole('dialog', { name: 'Authentication required' });
    await prompt.waitFor();
    expect(session.requests.some((r) => r.path === '/stats' && r.headers['x-api-key'] === undefined)).toBe(true);

    // A wrong key: the calls are retried with it, refused, and the prompt comes back.
    await prompt.getByLabel('API key').fill('not-the-key');
    await session.settled(); // saving retries every query and cancels those still running
    await prompt.getByRole('button', { name: 'Save and retry' }).click();
    await until(
      () => session.requests.some((r) => r.path === '/stats' && r.headers['x-api-key'] === 'not-the-key'),
      'retried with the wrong key',
    );
    await prompt.waitFor();
    expect(await page.evaluate(() => sessionStorage.getItem('contextpilot.apiKey'))).toBe('not-the-key');

    // The right key: the prompt goes away and the app loads.
    const sentBefore = session.requests.length;
    await prompt.getByLabel('API key').fill(API_KEY);
    await session.settled(); // saving retries every query and cancels those still running
    await prompt.getByRole('button', { name: 'Save and retry' }).click();
    await prompt.waitFor({ state: 'detached' });
    await page.getByText('Available contexts: 0').waitFor();
    const later = session.requests.slice(sentBefore);
    expect(later.length).toBeGreaterThan(0);
    expect(later.filter((r) => r.headers['x-api-key'] !== API_KEY)).toEqual([]);

    expect(await page.evaluate(() => sessionStorage.getItem('contextpilot.apiKey'))).toBe(API_KEY);
    expect(await localStorageText(page)).not.toContain(API_KEY);
    expect(await localStorageText(page)).not.toContain('not-the-key');

    // A write with the key works; the server saw the valid key and the refused ones.
    await page.getByRole('link', { name: 'Contexts', exact: true }).click();
    const form = page.getByRole('form', { name: 'Add context' });
    await form.getByLabel('Content').fill('Authenticated: I keep my API keys in a password manager.');
    await form.getByRole('button', { name: 'Add context' }).click();
    await page
      .getByRole('listitem', { name: 'Preference: Authenticated: I keep my API keys in a password manager.' })
      .waitFor();
    const post = session.requests.find((r) => r.method === 'POST' && r.path === '/contexts');
    expect(post?.headers['x-api-key']).toBe(API_KEY);
    const units = await e2e.server.client.listContexts();
    expect(units.map((u) => u.content)).toContain('Authenticated: I keep my API keys in a password manager.');
    const events = await e2e.server.client.securityEvents({ event: 'api_key_auth', limit: 200 });
    const outcomes = new Set(events.events.map((e) => e.outcome));
    expect(outcomes.has('valid_key')).toBe(true);
    expect([...outcomes].some((o) => o !== 'valid_key')).toBe(true);

    // The key lasts for the tab: a reload does not ask again.
    await session.reload();
    await page.getByRole('heading', { name: 'Contexts', level: 2 }).waitFor();
    await page.getByRole('listitem', { name: /^Preference: Authenticated:/ }).waitFor();
    expect(await prompt.count()).toBe(0);
  });

  it('serves the UI with a strict CSP: no inline scripts allowed, and none in the page', async () => {
    // The key is already in the tab (as after a prompt), so nothing is refused.
    const { page } = await e2e.open({ route: null, sessionStorage: { 'contextpilot.apiKey': API_KEY } });
    const response = await page.goto(`${e2e.server.url}/`, { waitUntil: 'load' });
    expect(response?.status()).toBe(200);
    const csp = response?.headers()['content-security-policy'] ?? '';
    const directives = new Map(
      csp
        .split(';')
        .map((d) => d.trim().split(/\s+/))
        .filter((parts) => parts[0])
        .map((parts) => [parts[0] ?? '', parts.slice(1)]),
    );
    const scriptSrc = directives.get('script-src') ?? directives.get('default-src') ?? [];
    expect(scriptSrc.length).toBeGreaterThan(0);
    expect(scriptSrc).not.toContain("'unsafe-inline'");
    expect(scriptSrc).not.toContain("'unsafe-eval'");
    expect(directives.get('style-src') ?? []).not.toContain("'unsafe-inline'");
    expect(directives.get('frame-ancestors')).toEqual(["'none'"]);
    expect(directives.get('base-uri')).toEqual(["'none'"]);
    expect(directives.get('object-src')).toEqual(["'none'"]);
    // The HTML served has no inline script and no inline style; every script is a file.
    const html = await readFile(join(DIST_DIR, 'index.html'), 'utf8');
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const [, attributes, body] of scripts) {
      expect(attributes).toMatch(/\bsrc="/);
      expect(body?.trim()).toBe('');
    }
    expect(html).not.toMatch(/<style\b|\sstyle="/);
    // The assets get the same policy.
    const script = /<script[^>]*src="([^"]+)"/.exec(html)?.[1] ?? '';
    const asset = await e2e.server.app.inject({ method: 'GET', url: script });
    expect(asset.statusCode).toBe(200);
    expect(asset.headers['content-security-policy']).toBe(csp);
  });
});

describe('a server with API keys and request signing', () => {
  const e2e = useE2e(
    {
      env: {
        CONTEXTPILOT_ENABLE_AUTH: 'true',
        CONTEXTPILOT_API_KEY: API_KEY,
        CONTEXTPILOT_ENABLE_REQUEST_SIGNING: 'true',
        CONTEXTPILOT_REQUEST_SIGNING_SECRET: SIGNING_SECRET,
      },
      apiKey: API_KEY,
      signingSecret: SIGNING_SECRET,
    },
    browser,
  );

  it('asks for the signing secret when a write is refused, then signs writes the server accepts', async () => {
    const session = await e2e.open({ route: '#/contexts', allow: { statuses: [401] } });
    const { page } = session;
    const prompt = page.getByRole('dialog', { name: 'Authentication required' });
    await prompt.waitFor();
    await prompt.getByLabel('API key').fill(API_KEY);
    await session.settled(); // saving retries every query and cancels those still running
    await prompt.getByRole('button', { name: 'Save and retry' }).click();
    await prompt.waitFor({ state: 'detached' });

    // Unsigned write: refused, and the prompt asks for the secret.
    const form = page.getByRole('form', { name: 'Add context' });
    const content = 'Signed: requests to my server are HMAC-signed.';
    await form.getByLabel('Content').fill(content);
    await form.getByRole('button', { name: 'Add context' }).click();
    await prompt.waitFor();
    expect(await prompt.getByLabel('Request signing is on').isChecked()).toBe(true);
    await prompt.getByLabel('Signing secret').fill(SIGNING_SECRET);
    await session.settled(); // saving retries every query and cancels those still running
    await prompt.getByRole('button', { name: 'Save and retry' }).click();
    await prompt.waitFor({ state: 'detached' });
    expect(await page.evaluate(() => sessionStorage.getItem('contextpilot.signingSecret'))).toBe(SIGNING_SECRET);
    expect(await localStorageText(page)).not.toContain(SIGNING_SECRET);

    // The form kept the text; sending again is signed and accepted.
    expect(await form.getByLabel('Content').inputValue()).toBe(content);
    await form.getByRole('button', { name: 'Add context' }).click();
    await page.getByRole('listitem', { name: `Preference: ${content}` }).waitFor();
    const posts = session.requests.filter((r) => r.method === 'POST' && r.path === '/contexts');
    expect(posts).toHaveLength(2);
    expect(posts[0]?.headers['x-request-signature']).toBeUndefined();
    expect(posts[1]?.headers['x-request-signature']).toMatch(/^[0-9a-f]{64}$/);
    expect(posts[1]?.headers['x-request-timestamp']).toMatch(/^\d+$/);
    expect(JSON.stringify(posts[1]?.headers)).not.toContain(SIGNING_SECRET);

    const units = await e2e.server.client.listContexts();
    expect(units.filter((u) => u.content === content)).toHaveLength(1);
    const signing = await e2e.server.client.securityEvents({ event: 'request_signing', limit: 200 });
    const accepted = signing.events.filter(
      (e) => e.outcome === 'valid_signature' && e.method === 'POST' && e.path === '/contexts',
    );
    expect(accepted).toHaveLength(1);
    expect(signing.events.some((e) => e.outcome !== 'valid_signature' && e.path === '/contexts')).toBe(true);
  });
});
