import type { Command } from 'commander';

import { createClient } from '@contextpilot/client';
import type { Health, Stats } from '@contextpilot/contract';

import type { CommandAction } from '../command.js';
import { readConfig, writeConfig, type SavedConfig } from '../config-file.js';
import { normalizeServerUrl, DEFAULT_URL } from '../connection.js';
import { EXIT } from '../exit-codes.js';
import { emit, table } from '../output.js';
import { integerIn } from '../parse.js';
import { ask } from '../prompt-input.js';

function statusText(url: string, health: Health, stats: Stats): string {
  const components = Object.entries(health.components).map(([name, c]) => {
    const facts = [
      c.model,
      c.backend,
      c.pending !== undefined ? `${c.pending} pending` : undefined,
      c.queued ? `${c.queued} queued` : undefined,
      c.error,
    ].filter((fact) => fact !== undefined && fact !== '');
    return `  ${name.padEnd(18)} ${c.status}${facts.length > 0 ? ` (${facts.join(', ')})` : ''}`;
  });
  return [
    `${url}: ${health.status}`,
    ...components,
    `  units              ${stats.active_contexts} active, ${stats.superseded_contexts} superseded, ${stats.contexts_with_embeddings} embedded`,
    ...Object.entries(stats.contexts_by_type).map(([type, n]) => `    ${type.padEnd(16)} ${n}`),
  ].join('\n');
}

/** `status`, `events`, `keys rotate` and `login`. */
export function registerAdminCommands(program: Command, action: CommandAction): void {
  program
    .command('status')
    .description("the server's health and unit counts (exit code 1 when it is unhealthy)")
    .action(
      action(async (context) => {
        const client = await context.client();
        const [health, stats] = await Promise.all([client.health(), client.stats()]);
        const { url } = await context.connection();
        emit(context.output, { url, health, stats }, (s) => statusText(s.url, s.health, s.stats));
        if (health.status !== 'healthy') {
          process.exitCode = EXIT.failure;
        }
      }),
    );

  program
    .command('events')
    .description('the security audit log, newest first')
    .option('-n, --limit <n>', 'at most this many (1–1000)', integerIn(1, 1000))
    .option('--offset <n>', 'skip this many', integerIn(0, Number.MAX_SAFE_INTEGER))
    .option('--event <name>', 'only this event, e.g. api_key_auth')
    .option('--outcome <outcome>', 'only this outcome, e.g. invalid_key')
    .action(
      action(async (context, flags: { limit?: number; offset?: number; event?: string; outcome?: string }) => {
        const list = await (await context.client()).securityEvents(flags);
        emit(context.output, list, (l) =>
          l.events.length === 0
            ? 'No events.'
            : table(
                context.output,
                ['TIME', 'EVENT', 'OUTCOME', 'CLIENT', 'REQUEST'],
                l.events.map((e) => [
                  e.created_at,
                  e.event,
                  e.outcome,
                  e.client_ip ?? '-',
                  [e.method, e.path].filter((part) => part !== null).join(' ') || '-',
                ]),
              ),
        );
      }),
    );

  program
    .command('keys')
    .description("the server's API key")
    .command('rotate')
    .description('replace the API key; the new one is saved in the config file, never printed')
    .action(
      action(async (context) => {
        const client = await context.client();
        const rotated = await client.rotateApiKey();
        const { url, signingSecret } = await context.connection();
        const saved = await context.savedConfig();
        await writeConfig(context.configPath, {
          ...saved,
          url,
          api_key: rotated.api_key,
          ...(signingSecret && { signing_secret: signingSecret }),
        });
        const stale = context.flags.apiKey !== undefined || (context.env.CONTEXTPILOT_API_KEY ?? '') !== '';
        emit(context.output, { rotated_at: rotated.rotated_at, saved_to: context.configPath }, (r) =>
          [
            `API key rotated at ${r.rotated_at}; the new key is saved in ${r.saved_to}.`,
            'The old key no longer works.',
            ...(stale
              ? ['--api-key or CONTEXTPILOT_API_KEY still holds the old key and wins over the file: update it.']
              : []),
          ].join('\n'),
        );
      }),
    );

  program
    .command('login')
    .description('check the server URL, API key and signing secret, then save them (mode 0600)')
    .action(
      action(async (context) => {
        const interactive = process.stdin.isTTY === true;
        // Defaults to offer; an unsafe file is replaced by the safe one written below.
        const saved: SavedConfig = await readConfig(context.configPath).catch(() => ({}));
        const env = context.env;
        let url = context.flags.url ?? env.CONTEXTPILOT_URL;
        if (url === undefined && interactive) {
          url = (await ask(`Server URL [${saved.url ?? DEFAULT_URL}]: `)) || saved.url;
        }
        let apiKey = context.flags.apiKey ?? env.CONTEXTPILOT_API_KEY;
        if (apiKey === undefined && interactive) {
          apiKey = (await ask('API key (empty: none): ', true)) || undefined;
        }
        let signingSecret = context.flags.signingSecret ?? env.CONTEXTPILOT_REQUEST_SIGNING_SECRET;
        if (signingSecret === undefined && interactive) {
          signingSecret = (await ask('Request signing secret (empty: none): ', true)) || undefined;
        }
        const config = {
          url: normalizeServerUrl(url ?? saved.url ?? DEFAULT_URL),
          ...(apiKey && { api_key: apiKey }),
          ...(signingSecret && { signing_secret: signingSecret }),
        };
        // Before saving: a read that needs the key, and a signed request that changes nothing.
        const client = createClient({
          baseUrl: config.url,
          apiKey: config.api_key,
          signingSecret: config.signing_secret,
        });
        await client.stats();
        await client.generatePrompt({ task: 'contextpilot login check', max_context_units: 1 });
        await writeConfig(context.configPath, config);
        emit(
          context.output,
          {
            url: config.url,
            api_key: config.api_key !== undefined,
            signing_secret: config.signing_secret !== undefined,
            saved_to: context.configPath,
          },
          (r) =>
            `Logged in to ${r.url} (API key: ${r.api_key ? 'set' : 'none'}, signing secret: ${r.signing_secret ? 'set' : 'none'}). Saved in ${r.saved_to}.`,
        );
      }),
    );
}
