import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';

import type { AIRequest } from '@contextpilot/contract';

import type { RecordedChatRequest } from '../../server/test/fakes/openai-chat-fake.js';
import { sentBodies, useE2e, until } from './harness.js';

interface FakeMessage {
  role: string;
  content: string;
}

/** The chat messages a request to the fake carried. */
function messagesOf(request: RecordedChatRequest | undefined): FakeMessage[] {
  return ((request?.body as { messages?: FakeMessage[] } | undefined)?.messages ?? []).map((m) => ({
    role: m.role,
    content: m.content,
  }));
}

function chatCompletions(requests: RecordedChatRequest[]): RecordedChatRequest[] {
  return requests.filter((r) => r.method === 'POST' && r.path === '/v1/chat/completions');
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

async function send(page: Page, text: string): Promise<void> {
  const box = page.getByRole('textbox', { name: 'Message' });
  await box.fill(text);
  await box.press('Enter');
}

/**
 * The SDK stops reading a reply stream at its `done` event and cancels the rest of the body, so Chromium reports a
 * finished stream as aborted (net::ERR_ABORTED) when the server's end of stream had not been read yet.
 */
const STREAM = { abortedPaths: ['/ai/chat/stream'] };

describe('chatting in the browser', () => {
  const e2e = useE2e({ fake: { slowDeltaMs: 120 } });

  beforeAll(async () => {
    const { client } = e2e.server;
    await client.createContext({
      type: 'preference',
      content: 'I prefer Python with pandas for data analysis scripts.',
      tags: ['python', 'data'],
    });
    await client.createContext({
      type: 'fact',
      content: 'My team deploys every service on Kubernetes.',
      tags: ['k8s'],
    });
    await client.createContext({ type: 'goal', content: 'I want to learn to bake sourdough bread.', tags: ['baking'] });
  });

  it('streams a reply slowly and stops it; the stopped turn is not saved', async () => {
    const { page } = await e2e.open({ allow: STREAM });
    const { fake, client } = e2e.server;
    const words = Array.from({ length: 60 }, (_, i) => `word${i}`).join(' ');
    fake.reply(words);
    fake.failNext('slow-stream');
    const before = chatCompletions(fake.requests).length;
    const task = 'Tell me a very long story about streams.';
    await send(page, task);

    const reply = page.getByTestId('message-assistant').last();
    const stop = page.getByRole('button', { name: 'Stop' });
    await stop.waitFor();
    // Text arrives piece by piece while the stream is still open.
    await until(async () => /word2\b/.test((await reply.textContent()) ?? ''), 'first words streamed');
    expect(await stop.isVisible()).toBe(true);
    expect(await reply.textContent()).not.toContain('word59');
    await stop.click();

    await reply.getByText('Stopped. This turn was not saved to the conversation.').waitFor();
    await page.getByRole('button', { name: 'Send' }).waitFor();
    const shown = (await reply.locator('.message__bubble').textContent()) ?? '';
    expect(shown).toMatch(/^word0 word1 word2/);
    expect(shown).not.toContain('word59');

    // The provider call went out as a stream and was cut off when the browser went away; nothing was saved.
    const calls = chatCompletions(fake.requests).slice(before);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.body).toMatchObject({ stream: true, model: 'gpt-4o' });
    await until(() => calls[0]?.closedEarly === true, 'the server stopped the provider stream');
    const saved = await client.listConversations({ search: 'streams' });
    expect(saved.conversations.filter((c) => c.task === task)).toEqual([]);
  });

  it('shows the contexts used with scores and the prompt sent, reopens the conversation, follows up, and deletes it', async () => {
    const session = await e2e.open({ allow: STREAM });
    const { page } = session;
    const { fake, client } = e2e.server;
    fake.reply(['Use **pandas**', ' with a short script:\n\n', '```python\nimport pandas as pd\n```\n']);
    const before = chatCompletions(fake.requests).length;
    const task = 'Which language should I use for data analysis scripts?';
    await send(page, task);

    const reply = page.getByTestId('message-assistant').last();
    await reply.getByRole('button', { name: 'Copy code' }).waitFor();
    expect(await reply.locator('strong').textContent()).toBe('pandas');
    expect(await reply.getByText('import pandas as pd').count()).toBe(1);

    // What the browser asked for: a new chat with 5 contexts at most.
    const firstBody = sentBodies(session, 'POST', '/ai/chat/stream')[0] as AIRequest;
    expect(firstBody).toMatchObject({ task, max_context_units: 5, provider: 'openai', model: 'gpt-4o' });
    expect(firstBody.conversation_id).toBeUndefined();

    // The route now names the saved conversation; the server has it with the contexts it used.
    await until(() => /#\/chat\/[^/]+$/.test(page.url()), 'route names the conversation');
    const conversationId = decodeURIComponent(page.url().split('#/chat/')[1] ?? '');
    const saved = await client.getConversation(conversationId);
    const userTurn = saved.messages.find((m) => m.role === 'user');
    const usedIds = userTurn?.context_ids ?? [];
    expect(usedIds.length).toBeGreaterThan(0);

    // Contexts used, with scores: one line per context the server used, naming the best match.
    const used = reply.getByText(`Contexts used (${usedIds.length})`, { exact: true });
    await used.click();
    const lines = reply.locator('.used-context');
    expect(await lines.count()).toBe(usedIds.length);
    expect(await lines.first().textContent()).toContain('I prefer Python with pandas for data analysis scripts.');
    expect(await lines.first().locator('.used-context__score').textContent()).toMatch(/^\d{1,3}% relevant$/);

    // The prompt shown is exactly the prompt the model received.
    const firstCall = chatCompletions(fake.requests)[before];
    const promptToModel = messagesOf(firstCall).at(-1)?.content ?? '';
    expect(promptToModel).toContain('# Context');
    await reply.getByText('Prompt sent', { exact: true }).click();
    expect(await reply.locator('pre.prompt-text').textContent()).toBe(promptToModel);
    expect(userTurn?.content).toBe(promptToModel);
    await page.getByRole('heading', { name: task }).waitFor();
    await page.getByText(`${usedIds.length} ${usedIds.length === 1 ? 'context' : 'contexts'} used`).waitFor();

    // Reopen from the list after starting a new chat.
    await page.getByRole('button', { name: 'New chat' }).click();
    await page.getByRole('heading', { name: 'New chat' }).waitFor();
    const detailPath = `/ai/conversations/${encodeURIComponent(conversationId)}`;
    expect(
      session.requests.filter((r) => r.path === detailPath),
      'New chat reloads nothing',
    ).toEqual([]);
    const list = page.getByRole('list', { name: 'Conversations' });
    await list.getByRole('button', { name: new RegExp(`^${escapeRegExp(task)}`) }).click();
    await page.getByRole('heading', { name: task }).waitFor();
    await until(async () => (await page.getByTestId('message-assistant').count()) === 1, 'saved reply shown');
    const reopened = page.getByTestId('message-assistant').first();
    await reopened.getByText(`Contexts used (${usedIds.length}) · scores not stored`).waitFor();
    expect(await page.getByTestId('message-user').first().textContent()).toContain(task);

    // A follow-up sends the raw task with the history and no contexts.
    fake.reply('Matplotlib works well for plotting.');
    const followUp = 'And which library for plotting?';
    await send(page, followUp);
    await page.getByTestId('message-assistant').nth(1).getByText('Matplotlib works well for plotting.').waitFor();
    const followBody = sentBodies(session, 'POST', '/ai/chat/stream').at(-1) as AIRequest;
    expect(followBody).toMatchObject({ task: followUp, max_context_units: 0, conversation_id: conversationId });
    const followMessages = messagesOf(chatCompletions(fake.requests).at(-1));
    expect(followMessages.at(-1)).toEqual({ role: 'user', content: followUp });
    expect(followMessages.some((m) => m.role === 'user' && m.content === promptToModel)).toBe(true);
    expect(followMessages.some((m) => m.role === 'assistant' && m.content.includes('pandas'))).toBe(true);
    await page.getByTestId('message-assistant').nth(1).getByText('Contexts used (0)', { exact: true }).waitFor();

    // With "Refresh contexts" ticked, the follow-up is ranked again and carries contexts.
    await page.getByLabel('Refresh contexts on follow-ups').check();
    fake.reply('Deploy it as a Kubernetes CronJob.');
    const refreshed = 'How should I deploy the Kubernetes analysis job?';
    await send(page, refreshed);
    await page.getByTestId('message-assistant').nth(2).getByText('Deploy it as a Kubernetes CronJob.').waitFor();
    const refreshBody = sentBodies(session, 'POST', '/ai/chat/stream').at(-1) as AIRequest;
    expect(refreshBody).toMatchObject({ task: refreshed, max_context_units: 5, conversation_id: conversationId });
    const refreshedPrompt = messagesOf(chatCompletions(fake.requests).at(-1)).at(-1)?.content ?? '';
    expect(refreshedPrompt).toContain('# Context');
    expect(refreshedPrompt).toContain('My team deploys every service on Kubernetes.');
    const stored = await client.getConversation(conversationId);
    expect(stored.messages.filter((m) => m.role === 'user').map((m) => m.task)).toEqual([task, followUp, refreshed]);

    // Delete it: gone from the list and from the server; the chat starts afresh.
    await page
      .getByRole('button', { name: new RegExp(`^Delete conversation: ${escapeRegExp(task.slice(0, 30))}`) })
      .click();
    const confirm = page.getByRole('alertdialog', { name: 'Delete conversation?' });
    await confirm.getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('region', { name: 'Notifications' }).getByText('Conversation deleted').waitFor();
    await page.getByRole('heading', { name: 'New chat' }).waitFor();
    await list.getByRole('button', { name: new RegExp(`^${escapeRegExp(task)}`) }).waitFor({ state: 'detached' });
    await expect(client.getConversation(conversationId)).rejects.toMatchObject({ status: 404 });
  });

  it('previews the prompt for a task without sending it', async () => {
    const { page } = await e2e.open();
    const { fake, client } = e2e.server;
    const before = fake.requests.length;
    const task = 'Plan a weekend of sourdough baking.';
    await page.getByRole('textbox', { name: 'Message' }).fill(task);
    await page.getByRole('button', { name: 'Preview prompt' }).click();
    const dialog = page.getByRole('dialog', { name: 'Prompt preview' });
    const preview = dialog.getByTestId('prompt-preview');
    await preview.waitFor();

    const expected = await client.generatePrompt({ task, max_context_units: 5 });
    await preview
      .getByText(`${expected.relevant_context.length} contexts would be sent with a new chat.`, { exact: false })
      .waitFor();
    expect(await preview.locator('pre.prompt-text').textContent()).toBe(expected.generated_prompt);
    expect(await preview.locator('.used-context').count()).toBe(expected.relevant_context.length);
    expect(await preview.locator('.used-context').first().textContent()).toContain(
      'I want to learn to bake sourdough bread.',
    );

    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    expect(await page.getByRole('textbox', { name: 'Message' }).inputValue()).toBe(task);
    expect(fake.requests.length).toBe(before);
    expect(await page.getByTestId('message-user').count()).toBe(0);
  });
});
