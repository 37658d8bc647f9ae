import { readFile } from 'node:fs/promises';

import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';

import type { ListContextsParams } from '@contextpilot/client';
import type { ContextUnit } from '@contextpilot/contract';

import { useE2e, until } from './harness.js';

/** The accessible names of the context items the list shows, in order. */
async function shownContexts(page: Page): Promise<string[]> {
  return page
    .getByTestId('context-item')
    .evaluateAll((items) => items.map((item) => item.getAttribute('aria-label') ?? ''));
}

const TYPE_LABELS: Record<string, string> = {
  preference: 'Preference',
  goal: 'Goal',
  decision: 'Decision',
  fact: 'Fact',
};
/** The name the UI gives a unit (`<Type>: <first 60 characters>`). */
function itemName(unit: Pick<ContextUnit, 'type' | 'content'>): string {
  const flat = unit.content.replace(/\s+/g, ' ').trim();
  const short = flat.length <= 60 ? flat : `${flat.slice(0, 59).trimEnd()}…`;
  return `${TYPE_LABELS[unit.type]}: ${short}`;
}

describe('managing contexts in the browser', () => {
  const e2e = useE2e();

  const notice = (page: Page, text: string) =>
    page.getByRole('region', { name: 'Notifications' }).getByText(text, { exact: true });

  async function findByContent(content: string, includeSuperseded = true): Promise<ContextUnit | undefined> {
    const all = await e2e.server.client.listContexts({ include_superseded: includeSuperseded, limit: 1000 });
    return all.find((u) => u.content === content);
  }

  it('creates, edits, supersedes and deletes a context', async () => {
    const { page } = await e2e.open({ route: '#/contexts' });
    const form = page.getByRole('form', { name: 'Add context' });

    // Create: every field of the form, one tag added with Enter and one left typed in the box.
    const content = 'I decided to deploy every service with blue-green releases.';
    await form.getByLabel('Type', { exact: true }).selectOption({ label: 'Decision' });
    await form.getByLabel('Content').fill(content);
    await form.getByLabel('Confidence (0–1)').fill('0.8');
    await form.getByLabel('Tags', { exact: true }).fill('deploy');
    await form.getByLabel('Tags', { exact: true }).press('Enter');
    await form.getByRole('button', { name: 'Remove tag deploy' }).waitFor();
    await form.getByLabel('Tags', { exact: true }).fill('releases');
    await form.getByLabel('Source (optional)').fill('e2e-notes');
    await form.getByRole('button', { name: 'Add context' }).click();

    await notice(page, 'Context created successfully!').waitFor();
    const item = page.getByRole('listitem', { name: itemName({ type: 'decision', content }) });
    await item.waitFor();
    expect(await item.getByText('80% confidence').count()).toBe(1);
    expect(await form.getByLabel('Content').inputValue()).toBe('');
    const created = await findByContent(content);
    expect(created).toMatchObject({
      type: 'decision',
      confidence: 0.8,
      tags: ['deploy', 'releases'],
      source: 'e2e-notes',
      status: 'active',
    });

    // Edit: the same unit changes in place.
    await item.getByRole('button', { name: /^Edit: / }).click();
    const editForm = page.getByRole('form', { name: /^Edit context: / });
    const edited = 'I decided to deploy every service with canary releases.';
    await editForm.getByLabel('Content').fill(edited);
    await editForm.getByLabel('Confidence (0–1)').fill('0.9');
    await editForm.getByRole('button', { name: 'Save changes' }).click();
    await notice(page, 'Context updated').waitFor();
    const editedItem = page.getByRole('listitem', { name: itemName({ type: 'decision', content: edited }) });
    await editedItem.getByText('90% confidence').waitFor();
    const afterEdit = await e2e.server.client.getContext(created!.id);
    expect(afterEdit).toMatchObject({
      content: edited,
      confidence: 0.9,
      tags: ['deploy', 'releases'],
      status: 'active',
    });

    // Supersede: a new active version; the old one is kept as superseded and points at it.
    await editedItem.getByRole('button', { name: /^Supersede: / }).click();
    const dialog = page.getByRole('dialog', { name: 'Supersede context' });
    const replacement = 'I decided to deploy every service with progressive rollouts.';
    await dialog.getByRole('form', { name: 'New version' }).getByLabel('Content').fill(replacement);
    await dialog.getByRole('button', { name: 'Save new version' }).click();
    await notice(page, 'Context superseded: the new version is active').waitFor();
    await dialog.waitFor({ state: 'detached' });
    const newItem = page.getByRole('listitem', { name: itemName({ type: 'decision', content: replacement }) });
    await newItem.waitFor();
    await editedItem.getByText(/^Superseded by: /).waitFor();
    expect(await editedItem.getByRole('button', { name: /^Reactivate: / }).count()).toBe(1);
    const newer = await findByContent(replacement);
    const older = await e2e.server.client.getContext(created!.id);
    expect(newer).toMatchObject({ status: 'active', type: 'decision', tags: ['deploy', 'releases'] });
    expect(older).toMatchObject({ status: 'superseded', superseded_by: newer!.id });

    // Delete (after confirming): gone from the list and from the server.
    await newItem.getByRole('button', { name: /^Delete: / }).click();
    const confirm = page.getByRole('alertdialog', { name: 'Delete context?' });
    await confirm.getByRole('button', { name: 'Delete' }).click();
    await notice(page, 'Context deleted successfully!').waitFor();
    await newItem.waitFor({ state: 'detached' });
    expect(await findByContent(replacement)).toBeUndefined();
    await expect(e2e.server.client.getContext(newer!.id)).rejects.toMatchObject({ status: 404 });
  });

  it('filters by type, tags, search and status as the API does', async () => {
    const { client } = e2e.server;
    await client.createContext({
      type: 'preference',
      content: 'I like zebra-striped tables in reports.',
      tags: ['zebra', 'tables'],
    });
    await client.createContext({
      type: 'fact',
      content: 'The office mascot is a koala called Kip.',
      tags: ['koala', 'office'],
    });
    await client.createContext({ type: 'goal', content: 'I want to learn to juggle five balls.', tags: ['juggling'] });
    const old = await client.createContext({
      type: 'fact',
      content: 'The office mascot used to be a wombat.',
      tags: ['office'],
    });
    const current = await client.createContext({
      type: 'fact',
      content: 'The office plant is a fern.',
      tags: ['office'],
    });
    await client.updateContext(old.id, { status: 'superseded', superseded_by: current.id });

    const { page, requests } = await e2e.open({ route: '#/contexts' });
    const expectList = async (params: ListContextsParams, label: string) => {
      const expected = (await client.listContexts({ limit: 100, ...params })).map(itemName);
      expect(expected.length, `${label}: the API finds something`).toBeGreaterThan(0);
      await expect.poll(() => shownContexts(page), { message: label, timeout: 10_000 }).toEqual(expected);
      return expected;
    };

    await expectList({ include_superseded: true }, 'everything');

    await page.getByLabel('Filter by type').selectOption({ label: 'Fact' });
    const facts = await expectList({ include_superseded: true, type: 'fact' }, 'type fact');
    expect(facts.every((name) => name.startsWith('Fact: '))).toBe(true);

    await page.getByLabel('Filter by type').selectOption({ label: 'All types' });
    await page.getByLabel('Filter by tags').fill('koala');
    expect(await expectList({ include_superseded: true, tags: 'koala' }, 'tag koala')).toEqual([
      'Fact: The office mascot is a koala called Kip.',
    ]);

    await page.getByLabel('Filter by tags').fill('');
    await page.getByLabel('Search contexts').pressSequentially('zebra');
    const found = await expectList({ include_superseded: true, search: 'zebra' }, 'search zebra');
    expect(found).toContain('Preference: I like zebra-striped tables in reports.');

    await page.getByLabel('Search contexts').fill('');
    await page.getByLabel('Filter by status').selectOption({ label: 'Superseded' });
    const superseded = await expectList({ include_superseded: true, status_filter: 'superseded' }, 'superseded');
    expect(superseded).toContain('Fact: The office mascot used to be a wombat.');
    const wombat = page.getByRole('listitem', { name: 'Fact: The office mascot used to be a wombat.' });
    await wombat.getByText('Superseded by: “The office plant is a fern.”').waitFor();

    await page.getByLabel('Filter by status').selectOption({ label: 'Active' });
    const active = await expectList({ include_superseded: false, status_filter: 'active' }, 'active');
    expect(active).not.toContain('Fact: The office mascot used to be a wombat.');

    await page.getByRole('button', { name: 'Clear filters' }).click();
    await expectList({ include_superseded: true }, 'cleared');

    // The filters reached the server as query parameters (debounced: no request per keystroke).
    const listQueries = requests
      .filter((r) => r.method === 'GET' && r.path.startsWith('/contexts?'))
      .map((r) => r.path);
    expect(listQueries.some((p) => p.includes('type=fact'))).toBe(true);
    expect(listQueries.some((p) => p.includes('tags=koala'))).toBe(true);
    expect(listQueries.some((p) => p.includes('search=zebra'))).toBe(true);
    expect(
      listQueries.some((p) => p.includes('status_filter=superseded') && p.includes('include_superseded=true')),
    ).toBe(true);
    expect(listQueries.some((p) => /search=z(&|$)|search=ze(&|$)/.test(p))).toBe(false);
  });

  it('fills the form from a quick template and creates that context', async () => {
    const { page } = await e2e.open({ route: '#/contexts' });
    await page.getByRole('button', { name: 'Learning Goal' }).click();
    await notice(page, 'Template loaded! Modify as needed and click Add context.').waitFor();
    const form = page.getByRole('form', { name: 'Add context' });
    const content = 'I want to master TypeScript and modern web development practices.';
    expect(await form.getByLabel('Content').inputValue()).toBe(content);
    expect(await form.getByLabel('Type', { exact: true }).inputValue()).toBe('goal');
    for (const tag of ['learning', 'typescript', 'web-dev']) {
      await form.getByRole('button', { name: `Remove tag ${tag}` }).waitFor();
    }
    await form.getByRole('button', { name: 'Add context' }).click();
    await page.getByRole('listitem', { name: itemName({ type: 'goal', content }) }).waitFor();
    expect(await findByContent(content)).toMatchObject({
      type: 'goal',
      confidence: 1,
      tags: ['learning', 'typescript', 'web-dev'],
      source: 'manual',
    });
  });

  it('exports JSON and CSV files equal to the API export, and imports the JSON back (replace)', async () => {
    const { client } = e2e.server;
    await client.createContext({
      type: 'preference',
      content: 'Round trip: I prefer tea over coffee.',
      tags: ['drinks'],
    });
    await client.createContext({
      type: 'decision',
      content: 'Round trip: we use SQLite for local data.',
      confidence: 0.7,
    });
    const { page } = await e2e.open({ route: '#/contexts' });

    const [jsonDownload] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Export as JSON' }).click(),
    ]);
    expect(jsonDownload.suggestedFilename()).toMatch(/^contexts_[\d_-]+\.json$/);
    const jsonPath = await jsonDownload.path();
    const downloaded = JSON.parse(await readFile(jsonPath, 'utf8')) as {
      total_contexts: number;
      contexts: Record<string, unknown>[];
    };
    const fromApi = (await e2e.server.app.inject({ method: 'GET', url: '/contexts/export?format=json' })).json<
      typeof downloaded
    >();
    expect(downloaded.total_contexts).toBe(fromApi.total_contexts);
    expect(downloaded.contexts).toEqual(fromApi.contexts);
    expect(downloaded.contexts.map((c) => c.content)).toContain('Round trip: I prefer tea over coffee.');

    const [csvDownload] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Export as CSV' }).click(),
    ]);
    expect(csvDownload.suggestedFilename()).toMatch(/^contexts_[\d_-]+\.csv$/);
    const csv = await readFile(await csvDownload.path(), 'utf8');
    const csvFromApi = (await e2e.server.app.inject({ method: 'GET', url: '/contexts/export?format=csv' })).body;
    expect(csv).toBe(csvFromApi);

    // Add one more unit, then import the file with "replace": the active set is exactly the file again.
    await client.createContext({ type: 'fact', content: 'Round trip: this one is not in the file.' });
    await page.getByLabel('Import file (JSON or CSV)').setInputFiles({
      name: jsonDownload.suggestedFilename(),
      mimeType: 'application/json',
      buffer: await readFile(jsonPath),
    });
    await page.getByLabel('Replace all existing contexts').check();
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    await page
      .getByRole('alertdialog', { name: 'Replace all contexts?' })
      .getByRole('button', { name: 'Replace and import' })
      .click();
    const result = page.getByTestId('import-result');
    await result.getByText(`Imported ${downloaded.contexts.length} contexts.`).waitFor();

    const essence = (u: Record<string, unknown>) =>
      JSON.stringify([u.type, u.content, u.confidence, u.tags, u.source, u.status]);
    // Every unit of the file is back; the active ones are exactly the file's active ones.
    const all = (await client.listContexts({ include_superseded: true, limit: 1000 })) as unknown as Record<
      string,
      unknown
    >[];
    const active = all.filter((u) => u.status === 'active');
    expect(active.map(essence).sort()).toEqual(
      downloaded.contexts
        .filter((c) => c.status === 'active')
        .map(essence)
        .sort(),
    );
    const allEssences = new Set(all.map(essence));
    expect(downloaded.contexts.map(essence).filter((e) => !allEssences.has(e))).toEqual([]);
    expect(active.some((u) => u.content === 'Round trip: this one is not in the file.')).toBe(false);
    // The list in the page shows the imported units.
    await until(
      async () => (await shownContexts(page)).includes('Preference: Round trip: I prefer tea over coffee.'),
      'imported unit listed',
    );
    expect(await shownContexts(page)).not.toContain('Fact: Round trip: this one is not in the file.');
  });
});
