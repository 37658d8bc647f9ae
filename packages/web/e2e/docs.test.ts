import { describe, expect, it } from 'vitest';

import { useE2e } from './harness.js';

/** The directives of a Content-Security-Policy header, by name. */
function directives(csp: string): Map<string, string[]> {
  return new Map(
    csp
      .split(';')
      .map((d) => d.trim().split(/\s+/))
      .filter((parts) => parts[0])
      .map((parts) => [parts[0] ?? '', parts.slice(1)]),
  );
}

describe('the API docs page', () => {
  const e2e = useE2e();

  it('renders and runs a request without a single CSP violation, with no inline scripts or styles allowed', async () => {
    const session = await e2e.open({ route: null });
    const { page } = session;
    const response = await page.goto(`${e2e.server.url}/docs`, { waitUntil: 'load' });
    expect(response?.status()).toBe(200);
    const policy = directives(response?.headers()['content-security-policy'] ?? '');
    for (const name of ['script-src', 'style-src']) {
      expect(policy.get(name), name).toEqual(["'self'"]);
    }
    expect(policy.get('base-uri')).toEqual(["'none'"]);

    // The whole page is drawn, then one operation is opened and run through "Try it out".
    const health = page.locator('.opblock').filter({ hasText: '/health' }).first();
    await health.waitFor();
    await health.locator('.opblock-summary').click();
    await health.getByRole('button', { name: 'Try it out' }).click();
    await health.getByRole('button', { name: 'Execute' }).click();
    await health.locator('.live-responses-table .response-col_status').filter({ hasText: '200' }).first().waitFor();

    // The harness checks after the test that no CSP violation (event or console message) was seen.
    expect(session.issues).toEqual([]);
  });
});
