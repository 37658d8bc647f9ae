import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';

import { json, stats, unit, type MockRequest } from '../../test/mock-api';
import { renderApp } from '../../test/render';

function listRequests(app: { requests: MockRequest[] }) {
  return app.requests.filter((r) => r.method === 'GET' && r.path === '/contexts');
}

async function openContexts(handlers: Parameters<typeof renderApp>[0] = {}) {
  window.location.hash = '#/contexts';
  const app = renderApp(handlers);
  await screen.findByRole('heading', { name: 'Contexts', level: 2 });
  return app;
}

describe('Contexts: filters', () => {
  it('debounces typing and asks once for the final search', async () => {
    const user = userEvent.setup();
    const app = await openContexts();
    await screen.findByRole('listitem', { name: /I like tea/ });
    const before = listRequests(app).length;
    await user.type(screen.getByRole('searchbox', { name: 'Search contexts' }), 'coffee');
    expect(listRequests(app).filter((r) => r.query.has('search'))).toHaveLength(0);
    await waitFor(() => expect(listRequests(app).some((r) => r.query.get('search') === 'coffee')).toBe(true));
    expect(listRequests(app).filter((r) => r.query.has('search'))).toHaveLength(1);
    expect(listRequests(app).length).toBe(before + 1);
  });

  it('really shows superseded contexts: the filter sends include_superseded', async () => {
    const user = userEvent.setup();
    const app = await openContexts({
      'GET /contexts': (r) =>
        json(
          r.query.get('status_filter') === 'superseded'
            ? [unit({ id: 'old', content: 'Old view', status: 'superseded', superseded_by: 'u1' })]
            : [unit()],
        ),
    });
    await user.selectOptions(screen.getByRole('combobox', { name: 'Filter by status' }), 'superseded');
    expect(await screen.findByRole('listitem', { name: /Old view/ })).toBeInTheDocument();
    const last = listRequests(app)
      .filter((r) => r.query.has('status_filter'))
      .at(-1)!;
    expect(last.query.get('include_superseded')).toBe('true');
    expect(last.query.get('status_filter')).toBe('superseded');
    expect(screen.getByText(/filtered/)).toBeInTheDocument();
    // The replacement is not in the filtered list: it is looked up among all contexts and named, not shown as an id.
    expect(await screen.findByText('Superseded by: “I like tea”')).toBeInTheDocument();

    await user.selectOptions(screen.getByRole('combobox', { name: 'Filter by type' }), 'fact');
    await user.type(screen.getByRole('textbox', { name: 'Filter by tags' }), ' a , b ');
    await waitFor(() => expect(listRequests(app).at(-1)?.query.get('tags')).toBe('a,b'));
    expect(listRequests(app).at(-1)?.query.get('type')).toBe('fact');
    await user.click(screen.getByRole('button', { name: 'Clear filters' }));
    expect(screen.getByRole('combobox', { name: 'Filter by type' })).toHaveValue('');
    expect(await screen.findByRole('listitem', { name: /I like tea/ })).toBeInTheDocument();
  });
});

describe('Contexts: templates and create', () => {
  it('a template fills the form, and Add sends it, keeping a half-typed tag', async () => {
    const user = userEvent.setup();
    let created = 0;
    const app = await openContexts({
      'POST /contexts': (r) => {
        created++;
        return json(unit({ id: 'n1', ...(r.body as object) }), 201);
      },
      'GET /stats': () => json(stats({ active_contexts: 1 + created })),
    });
    const form = screen.getByRole('form', { name: 'Add context' });
    await user.click(screen.getByRole('button', { name: /Learning Goal/ }));
    expect(within(form).getByRole('combobox', { name: 'Type' })).toHaveValue('goal');
    expect(within(form).getByRole('textbox', { name: 'Content' })).toHaveValue(
      'I want to master TypeScript and modern web development practices.',
    );
    expect(within(form).getByRole('button', { name: 'Remove tag web-dev' })).toBeInTheDocument();
    expect(await screen.findByText('Template loaded! Modify as needed and click Add context.')).toBeInTheDocument();
    expect(within(form).getByRole('textbox', { name: 'Content' })).toHaveFocus();

    await user.type(within(form).getByRole('textbox', { name: 'Tags' }), 'half');
    await user.click(within(form).getByRole('button', { name: 'Add context' }));
    await waitFor(() => expect(app.calls('POST /contexts')).toHaveLength(1));
    expect(app.calls('POST /contexts')[0]?.body).toEqual({
      type: 'goal',
      content: 'I want to master TypeScript and modern web development practices.',
      confidence: 1,
      tags: ['learning', 'typescript', 'web-dev', 'half'],
    });
    expect(await screen.findByText('Context created successfully!')).toBeInTheDocument();
    expect(within(form).getByRole('textbox', { name: 'Content' })).toHaveValue('');
    // Stats are current after the change.
    const activeStat = within(screen.getByRole('region', { name: 'Context statistics' }))
      .getByText('Active')
      .closest('div')!;
    await waitFor(() => expect(activeStat).toHaveTextContent('2'));
  });

  it('offers all six templates', async () => {
    await openContexts();
    for (const name of [
      'Code Preference',
      'Communication Style',
      'Learning Goal',
      'Tech Stack Decision',
      'Project Fact',
      'Work Schedule',
    ]) {
      expect(screen.getByRole('button', { name: new RegExp(name) })).toBeInTheDocument();
    }
  });

  it('refuses blank content and a confidence outside 0–1 without calling the server', async () => {
    const user = userEvent.setup();
    const app = await openContexts();
    const form = screen.getByRole('form', { name: 'Add context' });
    await user.click(within(form).getByRole('button', { name: 'Add context' }));
    expect(await within(form).findByText('Content is required')).toBeInTheDocument();
    await user.type(within(form).getByRole('textbox', { name: 'Content' }), 'x');
    await user.clear(within(form).getByRole('spinbutton', { name: 'Confidence (0–1)' }));
    await user.click(within(form).getByRole('button', { name: 'Add context' }));
    expect(await within(form).findByText('Confidence must be a number from 0 to 1')).toBeInTheDocument();
    expect(app.calls('POST /contexts')).toHaveLength(0);
  });
});

describe('Contexts: edit, supersede, delete', () => {
  it('edit sends only the changed fields', async () => {
    const user = userEvent.setup();
    const app = await openContexts({ 'PUT /contexts/:id': (r) => json(unit({ ...(r.body as object) })) });
    const item = await screen.findByRole('listitem', { name: /I like tea/ });
    await user.click(within(item).getByRole('button', { name: /^Edit/ }));
    const form = within(item).getByRole('form', { name: /Edit context/ });
    const content = within(form).getByRole('textbox', { name: 'Content' });
    await user.clear(content);
    await user.type(content, 'I like green tea');
    await user.click(within(form).getByRole('button', { name: 'Remove tag drinks' }));
    await user.click(within(form).getByRole('button', { name: 'Save changes' }));
    await waitFor(() => expect(app.calls('PUT /contexts/u1')).toHaveLength(1));
    expect(app.calls('PUT /contexts/u1')[0]?.body).toEqual({ content: 'I like green tea', tags: [] });
    expect(await screen.findByText('Context updated')).toBeInTheDocument();
  });

  it('supersede creates the replacement, then marks the old one superseded by it', async () => {
    const user = userEvent.setup();
    const app = await openContexts({
      'POST /contexts': (r) => json(unit({ id: 'u2', ...(r.body as object) }), 201),
      'PUT /contexts/:id': (r) => json(unit({ ...(r.body as object) })),
    });
    const item = await screen.findByRole('listitem', { name: /I like tea/ });
    await user.click(within(item).getByRole('button', { name: /^Supersede/ }));
    const dialog = await screen.findByRole('dialog', { name: 'Supersede context' });
    const content = within(dialog).getByRole('textbox', { name: 'Content' });
    expect(content).toHaveValue('I like tea');
    await user.clear(content);
    await user.type(content, 'I prefer coffee now');
    await user.click(within(dialog).getByRole('button', { name: 'Save new version' }));
    await waitFor(() => expect(app.calls('PUT /contexts/u1')).toHaveLength(1));
    const post = app.calls('POST /contexts')[0];
    expect(post?.body).toEqual({
      type: 'preference',
      content: 'I prefer coffee now',
      confidence: 0.9,
      tags: ['drinks'],
      source: 'manual',
    });
    expect(app.requests.indexOf(post!)).toBeLessThan(app.requests.indexOf(app.calls('PUT /contexts/u1')[0]!));
    expect(app.calls('PUT /contexts/u1')[0]?.body).toEqual({ status: 'superseded', superseded_by: 'u2' });
    expect(await screen.findByText('Context superseded: the new version is active')).toBeInTheDocument();
    expect(screen.queryByRole('dialog', { name: 'Supersede context' })).not.toBeInTheDocument();
  });

  it('delete asks first and does nothing on Cancel', async () => {
    const user = userEvent.setup();
    let gone = false;
    const app = await openContexts({
      'GET /contexts': () => json(gone ? [] : [unit()]),
      'DELETE /contexts/:id': () => {
        gone = true;
        return json(null, 204);
      },
    });
    const item = await screen.findByRole('listitem', { name: /I like tea/ });
    await user.click(within(item).getByRole('button', { name: /^Delete/ }));
    await user.click(within(await screen.findByRole('alertdialog')).getByRole('button', { name: 'Cancel' }));
    expect(app.calls('DELETE /contexts/u1')).toHaveLength(0);
    await user.click(within(item).getByRole('button', { name: /^Delete/ }));
    await user.click(within(await screen.findByRole('alertdialog')).getByRole('button', { name: 'Delete' }));
    expect(await screen.findByText('Context deleted successfully!')).toBeInTheDocument();
    expect(app.calls('DELETE /contexts/u1')).toHaveLength(1);
    expect(await screen.findByText('No contexts yet. Add your first context!')).toBeInTheDocument();
  });
});

describe('Contexts: import and export', () => {
  it('imports a CSV with replace after confirmation and lists per-item errors', async () => {
    const user = userEvent.setup();
    const app = await openContexts({
      'POST /contexts/import': () =>
        json({ imported: 2, skipped: 1, errors: ['Row 3: content is required'], total_errors: 1 }),
    });
    const file = new File(['type,content\nfact,Sky is blue\n'], 'mine.csv', { type: 'text/csv' });
    await user.upload(screen.getByLabelText('Import file (JSON or CSV)'), file);
    await user.click(screen.getByRole('checkbox', { name: 'Replace all existing contexts' }));
    await user.click(screen.getByRole('button', { name: 'Import' }));
    await user.click(
      within(await screen.findByRole('alertdialog', { name: 'Replace all contexts?' })).getByRole('button', {
        name: 'Replace and import',
      }),
    );
    const result = await screen.findByTestId('import-result');
    expect(result).toHaveTextContent('Imported 2 contexts, skipped 1');
    expect(within(result).getByText('Row 3: content is required')).toBeInTheDocument();
    const request = app.calls('POST /contexts/import')[0];
    expect(request?.query.get('replace_existing')).toBe('true');
    expect(request?.rawBody).toContain('filename="mine.csv"');
    expect(request?.rawBody).toContain('fact,Sky is blue');
    await waitFor(() => expect(app.calls('GET /stats').length).toBeGreaterThanOrEqual(2));
  });

  it('refuses other file types without a request', async () => {
    const user = userEvent.setup({ applyAccept: false });
    const app = await openContexts();
    await user.upload(
      screen.getByLabelText('Import file (JSON or CSV)'),
      new File(['x'], 'notes.txt', { type: 'text/plain' }),
    );
    await user.click(screen.getByRole('button', { name: 'Import' }));
    expect(await screen.findByText('Only JSON or CSV files can be imported')).toBeInTheDocument();
    expect(app.calls('POST /contexts/import')).toHaveLength(0);
  });

  it('exports as a download named after the server file', async () => {
    const user = userEvent.setup();
    const created: Blob[] = [];
    URL.createObjectURL = (blob: Blob) => {
      created.push(blob);
      return 'blob:x';
    };
    URL.revokeObjectURL = () => undefined;
    await openContexts({
      'GET /contexts/export': () =>
        new Response('id,type\n', {
          status: 200,
          headers: {
            'content-type': 'text/csv',
            'content-disposition': 'attachment; filename=contexts_2026-01-02.csv',
          },
        }),
    });
    await user.click(screen.getByRole('button', { name: 'Export as CSV' }));
    expect(await screen.findByText('Exported contexts as CSV')).toBeInTheDocument();
    expect(created).toHaveLength(1);
    expect(await created[0]!.text()).toBe('id,type\n');
  });
});
