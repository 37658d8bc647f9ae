import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { seriousA11yViolations, useBrowser, useE2e, type A11yReport } from './harness.js';

/** The SDK cancels a reply stream's body after its `done` event (see chat.test.ts). */
const STREAM = { abortedPaths: ['/ai/chat/stream'] };
const reports: A11yReport[] = [];

/** Scans the page with axe-core and expects no serious or critical violations. */
async function scan(page: Page, view: string): Promise<void> {
  const report = await seriousA11yViolations(page, view);
  reports.push(report);
  expect(report.serious, `${view}: serious or critical axe violations`).toEqual([]);
}

const browser = useBrowser();

afterAll(() => {
  const total = reports.reduce((n, r) => n + r.serious.length, 0);
  const lines = reports.map(
    (r) =>
      `  ${r.view}: ${r.passes} rules passed, ${r.serious.length} serious/critical, ${r.minor.length} minor/moderate${r.minor.length ? ` (${r.minor.join(', ')})` : ''}`,
  );
  process.stdout.write(
    `[e2e] axe-core ${reports[0]?.version ?? ''}: ${reports.length} views, ${total} serious/critical\n${lines.join('\n')}\n`,
  );
});

describe('accessibility of the main views (axe-core)', () => {
  const e2e = useE2e({}, browser);

  beforeAll(async () => {
    const { client, fake } = e2e.server;
    await client.createContext({ type: 'preference', content: 'I prefer TypeScript with strict mode.', tags: ['ts'] });
    const old = await client.createContext({ type: 'fact', content: 'We deploy on Fridays.', tags: ['deploy'] });
    const current = await client.createContext({
      type: 'fact',
      content: 'We never deploy on Fridays.',
      tags: ['deploy'],
    });
    await client.updateContext(old.id, { status: 'superseded', superseded_by: current.id });
    await client.createContext({ type: 'goal', content: 'Ship the accessibility audit this week.' });
    fake.reply('Use **strict** mode.\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n```ts\nconst x: number = 1;\n```\n');
  });

  it('chat view: empty, then a conversation with its contexts and prompt open', async () => {
    const session = await e2e.open({ allow: STREAM });
    const { page } = session;
    await page.getByRole('heading', { name: 'Ready to chat!' }).waitFor();
    await page.getByText(/^Available contexts: \d+$/).waitFor();
    await scan(page, 'chat (empty)');

    await page.getByRole('textbox', { name: 'Message' }).fill('How should I configure TypeScript?');
    await page.getByRole('button', { name: 'Send' }).click();
    const reply = page.getByTestId('message-assistant').last();
    await reply.getByRole('button', { name: 'Copy code' }).waitFor();
    await reply.getByText(/^Contexts used \(\d+\)$/).click();
    await reply.getByText('Prompt sent', { exact: true }).click();
    await page.getByLabel('Refresh contexts on follow-ups').waitFor();
    await scan(page, 'chat (conversation)');
    const saved = await e2e.server.client.listConversations();
    expect(saved.conversations.map((c) => c.task)).toContain('How should I configure TypeScript?');

    await page.getByRole('textbox', { name: 'Message' }).fill('Preview this task');
    await page.getByRole('button', { name: 'Preview prompt' }).click();
    await page.getByTestId('prompt-preview').waitFor();
    await scan(page, 'prompt preview dialog');
    expect(session.requests.filter((r) => r.method === 'POST').map((r) => r.path)).toEqual([
      '/ai/chat/stream',
      '/generate-prompt',
    ]);
  });

  it('contexts view, with an edit form and the delete confirmation', async () => {
    const session = await e2e.open({ route: '#/contexts' });
    const { page } = session;
    await page
      .getByRole('listitem', { name: 'Fact: We deploy on Fridays.' })
      .getByText(/^Superseded by/)
      .waitFor();
    await scan(page, 'contexts');

    await page.getByRole('button', { name: 'Edit: I prefer TypeScript with strict mode.' }).click();
    await page.getByRole('form', { name: /^Edit context: / }).waitFor();
    await page.getByRole('form', { name: 'Add context' }).getByRole('button', { name: 'Add context' }).click();
    await page.getByText('Content is required').waitFor();
    await scan(page, 'contexts (edit form, validation error)');

    await page.getByRole('button', { name: 'Delete: Ship the accessibility audit this week.' }).click();
    await page.getByRole('alertdialog', { name: 'Delete context?' }).waitFor();
    await scan(page, 'delete confirmation');
    // Nothing was written: the empty form was refused in the page and the deletion is not confirmed.
    expect(session.requests.filter((r) => r.method !== 'GET')).toEqual([]);
    expect((await e2e.server.client.listContexts({ search: 'accessibility audit' })).length).toBe(1);
  });

  it('settings dialog, both tabs', async () => {
    const { page } = await e2e.open();
    await page.getByRole('button', { name: 'Settings' }).click();
    const dialog = page.getByRole('dialog', { name: 'Settings' });
    await dialog.getByLabel('Default provider').waitFor();
    await scan(page, 'settings (general)');
    await dialog.getByRole('tab', { name: 'Providers' }).click();
    await dialog.getByRole('button', { name: 'Test OpenAI connection' }).click();
    await dialog.getByTestId('test-result').getByText(/^✓/).waitFor();
    await scan(page, 'settings (providers, tested)');
    const models = e2e.server.fake.requests.filter((r) => r.method === 'GET' && r.path === '/v1/models');
    expect(models.at(-1)?.headers.authorization).toBe('Bearer sk-test');
  });

  it('dark mode: chat, contexts and settings', async () => {
    const session = await e2e.open({ colorScheme: 'dark', route: '#/contexts' });
    const { page } = session;
    await page
      .getByRole('listitem', { name: 'Fact: We deploy on Fridays.' })
      .getByText(/^Superseded by/)
      .waitFor();
    expect(await page.getByRole('button', { name: 'Dark mode' }).getAttribute('aria-pressed')).toBe('true');
    await scan(page, 'contexts (dark)');
    await page.getByRole('link', { name: 'Chat', exact: true }).click();
    const list = page.getByRole('list', { name: 'Conversations' });
    await list.getByRole('button', { name: /^How should I configure TypeScript\?/ }).click();
    const reply = page.getByTestId('message-assistant').first();
    await reply.getByRole('button', { name: 'Copy code' }).waitFor();
    await reply.getByText(/^Contexts used/).click();
    await scan(page, 'chat (dark)');
    await page.getByRole('button', { name: 'Settings' }).click();
    await page.getByRole('dialog', { name: 'Settings' }).getByLabel('Default provider').waitFor();
    await scan(page, 'settings (dark)');
    const conversation = session.requests.filter((r) => r.path.startsWith('/ai/conversations/'));
    expect(conversation).toHaveLength(1);
    expect(session.requests.filter((r) => r.method !== 'GET')).toEqual([]);
  });

  it('phone: drawers', async () => {
    const { page } = await e2e.open({ viewport: { width: 375, height: 740 }, isMobile: true, hasTouch: true });
    await page.getByRole('button', { name: 'Conversations', exact: true }).click();
    const drawer = page.getByRole('dialog', { name: 'Conversations' });
    await drawer.getByRole('button', { name: /^How should I configure TypeScript\?/ }).waitFor();
    await scan(page, 'conversations drawer (375 px)');
    expect((await e2e.server.client.listConversations()).count).toBe(1);
  });
});

describe('accessibility of the credential prompt (axe-core)', () => {
  const e2e = useE2e(
    {
      env: { CONTEXTPILOT_ENABLE_AUTH: 'true', CONTEXTPILOT_API_KEY: 'a11y-key-1234567890' },
      apiKey: 'a11y-key-1234567890',
    },
    browser,
  );

  it('auth prompt, light and dark', async () => {
    const { page } = await e2e.open({ allow: { statuses: [401] } });
    const prompt = page.getByRole('dialog', { name: 'Authentication required' });
    await prompt.waitFor();
    await prompt.getByLabel('Request signing is on').check();
    await prompt.getByLabel('Signing secret').waitFor();
    await scan(page, 'auth prompt');
    await page.emulateMedia({ colorScheme: 'dark' });
    await scan(page, 'auth prompt (dark)');
    const refused = await e2e.server.client.securityEvents({ event: 'api_key_auth' });
    // The page's calls without a key were refused (the listing itself, with the key, is the only valid one).
    expect(refused.events.filter((e) => e.outcome !== 'valid_key').length).toBeGreaterThanOrEqual(5);
  });
});
