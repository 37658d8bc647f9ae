import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { CHROMIUM_ARGS, until, useBrowser, useE2e } from './harness.js';

/**
 * What a hostile web page can make the browser send to a ContextPilot on 127.0.0.1 with authentication off (the
 * default): forms and `no-cors` fetches need no CORS preflight, and a name re-pointed at 127.0.0.1 (DNS rebinding)
 * makes the page same-origin with the server. None of it may change or read a unit.
 */

const ATTACKER = 'attacker.test';
const REBIND = 'rebind.attacker.test';
/**
 * The harness's flags, with these names resolving to loopback as an attacker's DNS would make them (DNS stays off the
 * network). Chromium's own Local Network Access checks would stop a page from a public address reaching loopback;
 * other browsers have no such checks, so they are off here: the server must defend itself.
 */
const ARGS = [
  ...CHROMIUM_ARGS.map((arg) =>
    arg.startsWith('--host-resolver-rules=')
      ? `--host-resolver-rules=MAP ${ATTACKER} 127.0.0.1, MAP ${REBIND} 127.0.0.1, MAP * ~NOTFOUND , EXCLUDE 127.0.0.1`
      : arg,
  ),
  '--disable-features=LocalNetworkAccessChecks,BlockInsecurePrivateNetworkRequests',
];

const PLANTED = JSON.stringify({ contexts: [{ type: 'fact', content: 'Planted by another site.' }] });

/**
 * The attacker's pages. `/form`: a multipart form (a file part, as the import expects) posted to `replace_existing`
 * as soon as the page loads. `/fetch`: the same upload and a JSON create as `no-cors` fetches, then the title says
 * they are done.
 */
function attackerPage(kind: 'form' | 'fetch', api: string): string {
  const target = `${api}/contexts/import?replace_existing=true`;
  const upload = `const file = new File([${JSON.stringify(PLANTED)}], 'contexts.json', { type: 'application/json' });`;
  const script =
    kind === 'form'
      ? `${upload}
         const input = document.querySelector('input[type=file]');
         const files = new DataTransfer();
         files.items.add(file);
         input.files = files.files;
         document.querySelector('form').submit();`
      : `${upload}
         const body = new FormData();
         body.append('file', file);
         Promise.allSettled([
           fetch(${JSON.stringify(target)}, { method: 'POST', mode: 'no-cors', body }),
           fetch(${JSON.stringify(`${api}/contexts`)}, { method: 'POST', mode: 'no-cors',
             headers: { 'Content-Type': 'text/plain' }, body: JSON.stringify({ type: 'fact', content: 'Planted by fetch.' }) }),
         ]).then(() => { document.title = 'sent'; });`;
  return `<!doctype html><title>attacker</title>
    <form method="post" enctype="multipart/form-data" action="${target}"><input type="file" name="file"></form>
    <script>${script}</script>`;
}

async function startAttacker(api: () => string): Promise<{ server: Server; port: number }> {
  const server = createServer((request, response) => {
    const kind = request.url === '/form' ? 'form' : 'fetch';
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(attackerPage(kind, api()));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

const browser = useBrowser(ARGS);

describe('a hostile page and a server with authentication off', () => {
  const e2e = useE2e({}, browser);
  let attacker: { server: Server; port: number };

  beforeAll(async () => {
    attacker = await startAttacker(() => e2e.server.url);
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => attacker.server.close(() => resolve()));
  });

  async function contents(): Promise<string[]> {
    const units = await e2e.server.client.listContexts({ include_superseded: true, limit: 1000 });
    return units.map((u) => u.content).sort();
  }

  /**
   * The rows of the Origin check's refusals, newest first. Refusals from one client are summarized in one row per
   * window (the first request, and how many there were).
   */
  async function originRefusals(): Promise<Array<{ line: string; requests: number }>> {
    const { events } = await e2e.server.client.securityEvents({ event: 'origin_check', limit: 200 });
    return events.map((e) => ({
      line: `${e.method} ${e.path} ${e.outcome}`,
      requests: Number(e.details['requests'] ?? 1),
    }));
  }

  /** Opens an attacker page in a browser context of its own (not the harness's: it is on another origin on purpose). */
  async function visit(url: string, ready: (page: Page) => Promise<void>): Promise<void> {
    const context = await browser().newContext();
    try {
      const page = await context.newPage();
      await page.goto(url);
      await ready(page);
    } finally {
      await context.close();
    }
  }

  it.each([
    ['another port of 127.0.0.1 (same site)', () => `http://127.0.0.1:${attacker.port}`],
    ['another site', () => `http://${ATTACKER}:${attacker.port}`],
  ])('a page on %s cannot replace the units, by form or by fetch', async (_label, origin) => {
    await e2e.server.client.createContext({ type: 'fact', content: `Mine, before a visit to ${origin()}.` });
    const before = await contents();
    const refusedBefore = (await originRefusals()).length;

    // The form navigates the page to the API's answer.
    let answer = '';
    await visit(`${origin()}/form`, async (page) => {
      await page.waitForURL(/\/contexts\/import/, { waitUntil: 'load' });
      answer = await page.locator('body').innerText();
    });
    await visit(`${origin()}/fetch`, (page) => until(async () => (await page.title()) === 'sent', 'fetches sent'));

    expect(await contents()).toEqual(before);
    expect(JSON.parse(answer)).toMatchObject({ error_code: 'HTTP_ERROR', message: 'Cross-origin request refused' });
    const all = await originRefusals();
    // The form and both fetches were refused and logged, summarized in this client's row (two rows if a window
    // ended between them).
    const rows = all.slice(0, all.length - refusedBefore);
    for (const row of rows) {
      expect(row.line).toMatch(/^POST \/contexts(\/import)? (disallowed_origin|cross_site)$/);
    }
    expect(rows.reduce((sum, row) => sum + row.requests, 0)).toBe(3);
  });

  it('a page whose name is re-pointed at 127.0.0.1 (DNS rebinding) reads nothing, and the UI is not served', async () => {
    const rebound = `http://${REBIND}:${new URL(e2e.server.url).port}`;
    const context = await browser().newContext();
    try {
      // The page itself comes from the attacker's server (the name's first DNS answer); its requests then reach
      // this server, same-origin, under the attacker's name.
      await context.route(`${rebound}/`, (route) =>
        route.fulfill({
          contentType: 'text/html',
          body: `<!doctype html><title>rebind</title><script>
            fetch('/contexts/export').then(async (res) => { window.stolen = res.status + ' ' + (await res.text()); }, (e) => { window.stolen = 'failed: ' + e; });
          </script>`,
        }),
      );
      const page = await context.newPage();
      await page.goto(`${rebound}/`);
      await until(() => page.evaluate(() => 'stolen' in window), 'export requested');
      const stolen = await page.evaluate(() => (window as unknown as { stolen: string }).stolen);
      expect(stolen).toMatch(/^421 /);
      expect(stolen).not.toContain('Mine, before');

      // Once the name points here for the navigation too, the UI itself is refused.
      await context.unrouteAll();
      const ui = await page.goto(`${rebound}/`);
      expect(ui?.status()).toBe(421);
    } finally {
      await context.close();
    }
  });

  it("the UI's own writes keep working: a create and an import that replaces everything", async () => {
    const refusedBefore = (await originRefusals()).length;
    const session = await e2e.open({ route: '#/contexts' });
    const { page } = session;
    const form = page.getByRole('form', { name: 'Add context' });
    await form.getByLabel('Content').fill('Written from the UI itself.');
    await form.getByRole('button', { name: 'Add context' }).click();
    await page.getByRole('listitem', { name: 'Preference: Written from the UI itself.' }).waitFor();

    await page.getByLabel('Import file (JSON or CSV)').setInputFiles({
      name: 'contexts.json',
      mimeType: 'application/json',
      buffer: Buffer.from(JSON.stringify({ contexts: [{ type: 'goal', content: 'Imported from the UI itself.' }] })),
    });
    await page.getByLabel('Replace all existing contexts').check();
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    await page
      .getByRole('alertdialog', { name: 'Replace all contexts?' })
      .getByRole('button', { name: 'Replace and import' })
      .click();
    await page.getByTestId('import-result').getByText('Imported 1 context', { exact: false }).waitFor();
    const active = await e2e.server.client.listContexts({ limit: 1000 });
    expect(active.map((u) => u.content)).toEqual(['Imported from the UI itself.']);
    expect(session.requests.filter((r) => r.method === 'POST').map((r) => r.path.split('?')[0])).toEqual([
      '/contexts',
      '/contexts/import',
    ]);
    expect(await originRefusals()).toHaveLength(refusedBefore);
  });
});
