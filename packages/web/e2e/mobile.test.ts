import type { Locator, Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';

import { useE2e, until } from './harness.js';

const WIDTH = 375;
const PHONE = { viewport: { width: WIDTH, height: 740 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };
/** The SDK cancels a reply stream's body after its `done` event (see chat.test.ts). */
const STREAM = { abortedPaths: ['/ai/chat/stream'] };

/** The page scrolls only vertically. */
async function expectNoHorizontalScroll(page: Page, where: string): Promise<void> {
  const widths = await page.evaluate(() => ({
    document: document.documentElement.scrollWidth,
    body: document.body.scrollWidth,
  }));
  expect(widths.document, `${where}: document scroll width`).toBeLessThanOrEqual(WIDTH);
  expect(widths.body, `${where}: body scroll width`).toBeLessThanOrEqual(WIDTH);
}

/** The element lies inside the viewport horizontally. */
async function expectInsideViewport(locator: Locator, where: string): Promise<void> {
  const box = await locator.boundingBox();
  expect(box, where).not.toBeNull();
  expect(box!.x, `${where}: left edge`).toBeGreaterThanOrEqual(0);
  expect(box!.x + box!.width, `${where}: right edge`).toBeLessThanOrEqual(WIDTH + 0.5);
}

describe('a 375 px phone screen', () => {
  const e2e = useE2e();

  beforeAll(async () => {
    const { client } = e2e.server;
    await client.createContext({
      type: 'preference',
      content: 'On my phone I prefer short answers with one code example at most.',
      tags: ['mobile', 'style'],
    });
    await client.createContext({
      type: 'fact',
      content: 'Averyveryverylongwordwithoutanyspacesthatmustwrapinsteadofwideningthepage_0123456789abcdef.',
    });
  });

  it('chats with drawers for the side panels and never scrolls sideways', async () => {
    const { page } = await e2e.open({ ...PHONE, allow: STREAM });
    const { fake, client } = e2e.server;
    await page.getByRole('heading', { name: 'Ready to chat!' }).waitFor();
    await expectNoHorizontalScroll(page, 'chat view');

    // The side panels are drawers, closed until asked for; chat settings are folded away.
    expect(await page.getByRole('complementary', { name: 'Conversations' }).count()).toBe(0);
    expect(await page.locator('details.chat-settings').getAttribute('open')).toBeNull();
    await page.getByRole('button', { name: 'Contexts', exact: true }).click();
    const contexts = page.getByRole('dialog', { name: 'Contexts' });
    await contexts.locator('summary', { hasText: 'On my phone I prefer short answers' }).waitFor();
    await expectInsideViewport(contexts, 'contexts drawer');
    await expectNoHorizontalScroll(page, 'contexts drawer');
    await page.keyboard.press('Escape');
    await contexts.waitFor({ state: 'detached' });

    // A reply with a long code line and a long word stays inside the screen (the code block scrolls itself).
    fake.reply([
      'Here is a oneliner: ',
      'Averyveryverylongwordwithoutanyspacesthatmustwrapinsteadofwideningthepage.\n\n',
      '```js\nconst result = [1, 2, 3].map((value) => value * 2).filter((value) => value > 2).reduce((a, b) => a + b, 0);\n```\n',
    ]);
    const task = 'Give me a compact JavaScript example.';
    await page.getByRole('textbox', { name: 'Message' }).fill(task);
    await page.getByRole('button', { name: 'Send' }).click();
    const reply = page.getByTestId('message-assistant').last();
    await reply.getByRole('button', { name: 'Copy code' }).waitFor();
    await expectNoHorizontalScroll(page, 'chat with a reply');
    await expectInsideViewport(reply, 'reply bubble');
    await expectInsideViewport(page.getByRole('button', { name: 'Send' }), 'send button');
    const saved = await client.listConversations({ search: 'compact JavaScript' });
    expect(saved.conversations.map((c) => c.task)).toContain(task);

    // The conversations drawer lists it; opening it closes the drawer.
    await page.getByRole('button', { name: 'New chat' }).click();
    await page.getByRole('heading', { name: 'New chat' }).waitFor();
    await page.getByRole('button', { name: 'Conversations', exact: true }).click();
    const drawer = page.getByRole('dialog', { name: 'Conversations' });
    await expectInsideViewport(drawer, 'conversations drawer');
    await expectNoHorizontalScroll(page, 'conversations drawer');
    await drawer.getByRole('button', { name: new RegExp(`^${task}`) }).click();
    await drawer.waitFor({ state: 'detached' });
    await page.getByRole('heading', { name: task }).waitFor();
    await until(async () => (await page.getByTestId('message-assistant').count()) === 1, 'reopened');
    await expectNoHorizontalScroll(page, 'reopened conversation');

    // Chat settings unfold inside the screen.
    await page.getByText('Chat settings', { exact: true }).click();
    await page.getByLabel('Max contexts').waitFor();
    await expectNoHorizontalScroll(page, 'chat settings open');
  });

  it('manages contexts and settings without sideways scrolling', async () => {
    const { page } = await e2e.open({ ...PHONE, route: '#/contexts' });
    await page.getByRole('listitem', { name: /^Fact: Averyvery/ }).waitFor();
    await expectNoHorizontalScroll(page, 'contexts view');
    await expectInsideViewport(page.getByRole('form', { name: 'Add context' }), 'add form');

    const item = page.getByRole('listitem', { name: /^Preference: On my phone/ });
    await item.getByRole('button', { name: /^Supersede: / }).click();
    const dialog = page.getByRole('dialog', { name: 'Supersede context' });
    await expectInsideViewport(dialog, 'supersede dialog');
    await expectNoHorizontalScroll(page, 'supersede dialog');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });

    await page.getByRole('button', { name: 'Settings' }).click();
    const settings = page.getByRole('dialog', { name: 'Settings' });
    await expectInsideViewport(settings, 'settings dialog');
    await settings.getByRole('tab', { name: 'Providers' }).click();
    await settings.getByRole('button', { name: 'Test OpenAI connection' }).waitFor();
    await expectInsideViewport(settings, 'settings providers tab');
    await expectNoHorizontalScroll(page, 'settings dialog');
  });
});
