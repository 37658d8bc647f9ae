import { randomUUID } from 'node:crypto';

import type { Command } from 'commander';

import { ApiError, createClient } from '@contextpilot/client';
import type { Health, Stats } from '@contextpilot/contract';

import { needsScope, type CommandAction } from '../command.js';
import { readConfig, writeConfig, type SavedConfig } from '../config-file.js';
import { DEFAULT_URL, firstSetting, normalizeServerUrl } from '../connection.js';
import { CliError, EXIT, usageError } from '../exit-codes.js';
import { emit, listTable } from '../output.js';
import { integerIn } from '../parse.js';
import { ask } from '../prompt-input.js';
import { registerStoredKeyCommands } from './keys.js';

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
  needsScope(program.command('status'), 'contexts:read')
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

  needsScope(program.command('events'), 'audit:read')
    .description('the security audit log, newest first')
    .option('-n, --limit <n>', 'at most this many (1–1000)', integerIn(1, 1000))
    .option('--offset <n>', 'skip this many', integerIn(0, Number.MAX_SAFE_INTEGER))
    .option('--event <name>', 'only this event, e.g. api_key_auth')
    .option('--outcome <outcome>', 'only this outcome, e.g. invalid_key')
    .action(
      action(async (context, flags: { limit?: number; offset?: number; event?: string; outcome?: string }) => {
        const list = await (await context.client()).securityEvents(flags);
        emit(context.output, list, (l) =>
          listTable(context.output, l.events, {
            empty: 'No events.',
            headers: ['TIME', 'EVENT', 'OUTCOME', 'CLIENT', 'REQUEST'],
            row: (e) => [
              e.created_at,
              e.event,
              e.outcome,
              e.client_ip ?? '-',
              [e.method, e.path].filter((part) => part !== null).join(' ') || '-',
            ],
          }),
        );
      }),
    );

  const keys = program.command('keys').description('API keys: the v1 key (rotate) and stored keys with scopes');
  registerStoredKeyCommands(keys, action);
  needsScope(keys.command('rotate'), 'admin')
    .description('replace the API key; the new one is saved in the config file, never printed')
    .action(
      action(async (context) => {
        const client = await context.client();
        const { url } = await context.connection();
        const saved = await context.savedConfig();
        if (saved.url !== undefined && saved.url !== url) {
          throw usageError(
            `${context.configPath} holds the login for ${saved.url}, not ${url}: run \`contextpilot login --url ${url}\` first, so that the new key has a place`,
          );
        }
        const next: SavedConfig = { ...saved, url };
        // Prove the file can be written before the old key is given up.
        await writeConfig(context.configPath, next);
        const rotated = await client.rotateApiKey();
        try {
          await writeConfig(context.configPath, { ...next, api_key: rotated.api_key });
        } catch (error) {
          // The old key is dead already: showing the new one is the only way not to lock its owner out.
          context.output.err(
            `contextpilot: the key was rotated but could not be saved (${(error as Error).message}). New key: ${rotated.api_key}\n`,
          );
          throw error;
        }
        const stale = firstSetting(context.flags.apiKey, context.env.CONTEXTPILOT_API_KEY) !== undefined;
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

  needsScope(program.command('login'), 'any')
    .description('check the server URL, API key and signing secret, then save them (mode 0600)')
    .action(
      action(async (context) => {
        const interactive = process.stdin.isTTY === true;
        // Defaults to offer. A file refused as unsafe or malformed is replaced by the safe one written below.
        const saved: SavedConfig = await readConfig(context.configPath).catch((error: unknown) => {
          if (error instanceof CliError) {
            return {};
          }
          throw error;
        });
        const env = context.env;
        let url = firstSetting(context.flags.url, env.CONTEXTPILOT_URL);
        if (url === undefined && interactive) {
          url = firstSetting(await ask(`Server URL [${saved.url ?? DEFAULT_URL}]: `), saved.url);
        }
        let apiKey = firstSetting(context.flags.apiKey, env.CONTEXTPILOT_API_KEY);
        if (apiKey === undefined && interactive) {
          apiKey = firstSetting(await ask('API key (empty: none): ', true));
        }
        let signingSecret = firstSetting(context.flags.signingSecret, env.CONTEXTPILOT_REQUEST_SIGNING_SECRET);
        if (signingSecret === undefined && interactive) {
          signingSecret = firstSetting(await ask('Request signing secret (empty: none): ', true));
        }
        const config = {
          url: normalizeServerUrl(url ?? saved.url ?? DEFAULT_URL),
          ...(apiKey && { api_key: apiKey }),
          ...(signingSecret && { signing_secret: signingSecret }),
        };
        // Before saving: a read that needs the key, and a signed request that changes nothing (deleting a conversation
        // that cannot exist).
        const client = createClient({
          baseUrl: config.url,
          apiKey: config.api_key,
          signingSecret: config.signing_secret,
        });
        await client.stats();
        // 404, or 403 for a key without the chat scope: either way the signature was checked first and accepted.
        await client.deleteConversation(randomUUID()).catch((error: unknown) => {
          if (!(error instanceof ApiError && (error.status === 404 || error.status === 403))) {
            throw error;
          }
        });
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
