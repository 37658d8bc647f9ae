import { Option, type Command } from 'commander';

import type { ApiKeyInfo } from '@contextpilot/contract';
import { SCOPES, type Scope } from '@contextpilot/contract/scopes';

import { needsScope, type CommandAction } from '../command.js';
import { emit, listTable } from '../output.js';
import { commaList, integerIn } from '../parse.js';
import { createPrivateFile } from '../private-file.js';

const status = (key: ApiKeyInfo) =>
  key.revoked_at !== null
    ? 'revoked'
    : key.expires_at !== null && Date.parse(key.expires_at) <= Date.now()
      ? 'expired'
      : 'active';

/** `keys create`, `keys list`, `keys revoke` and `keys rotate-key`: stored keys with scopes. */
export function registerStoredKeyCommands(keys: Command, action: CommandAction): void {
  needsScope(keys.command('create'), 'any')
    .description('create a stored key with scopes; the key is written to --output, never printed')
    .requiredOption('--name <name>', 'what the key is for')
    .addOption(
      new Option('--scopes <scopes>', `comma-separated: ${SCOPES.join(', ')}`)
        .argParser(commaList)
        .makeOptionMandatory(),
    )
    .requiredOption('-o, --output <file>', 'file to write the new key to (created readable by you only)')
    .option('--expires <time>', 'RFC 3339 time the key stops working, e.g. 2027-01-31T00:00:00Z')
    .option('--networks <cidrs>', 'comma-separated client networks the key works from', commaList)
    .option('--person <id>', "another person's id (admin keys only)")
    .action(
      action(
        async (
          context,
          flags: {
            name: string;
            scopes: string[];
            output: string;
            expires?: string;
            networks?: string[];
            person?: string;
          },
        ) => {
          const file = await createPrivateFile(flags.output);
          const client = await context.client();
          const made = await client
            .createApiKey({
              name: flags.name,
              scopes: flags.scopes as Scope[],
              ...(flags.expires !== undefined && { expires_at: flags.expires }),
              ...(flags.networks !== undefined && { allowed_networks: flags.networks }),
              ...(flags.person !== undefined && { person_id: flags.person }),
            })
            .catch(async (error: unknown) => {
              await file.discard();
              throw error;
            });
          await file.write(`${made.key}\n`);
          const { key: _key, ...info } = made;
          emit(
            context.output,
            { ...info, saved_to: flags.output },
            (k) => `Created key ${k.id} (${k.scopes.join(', ')}); saved in ${k.saved_to}`,
          );
        },
      ),
    );

  needsScope(keys.command('list'), 'any')
    .description('the stored keys you may see (an admin key: all)')
    .action(
      action(async (context) => {
        const list = await (await context.client()).listApiKeys();
        emit(context.output, list, (l) =>
          listTable(context.output, l.keys, {
            empty: 'No stored keys.',
            headers: ['ID', 'STATUS', 'LAST USED', 'SCOPES', 'NAME'],
            row: (k) => [k.id, status(k), k.last_used_at ?? '-', k.scopes.join(','), k.name],
          }),
        );
      }),
    );

  needsScope(keys.command('revoke'), 'any')
    .description('revoke a stored key at once')
    .argument('<id>', 'the key id')
    .action(
      action(async (context, id: string) => {
        await (await context.client()).revokeApiKey(id);
        emit(context.output, { revoked: id }, () => `Revoked key ${id}`);
      }),
    );

  needsScope(keys.command('renew'), 'any')
    .description('replace a stored key by a new one with the same grants, written to --output')
    .argument('<id>', 'the key id')
    .requiredOption('-o, --output <file>', 'file to write the new key to (created readable by you only)')
    .option('--grace <seconds>', 'how long the old key keeps working (default 0)', integerIn(0, 7 * 86_400))
    .action(
      action(async (context, id: string, flags: { output: string; grace?: number }) => {
        const file = await createPrivateFile(flags.output);
        const client = await context.client();
        const made = await client
          .rotateStoredApiKey(id, flags.grace === undefined ? {} : { grace_seconds: flags.grace })
          .catch(async (error: unknown) => {
            await file.discard();
            throw error;
          });
        await file.write(`${made.key}\n`);
        const { key: _key, ...info } = made;
        emit(context.output, { ...info, saved_to: flags.output }, (k) => `Renewed key ${k.id}; saved in ${k.saved_to}`);
      }),
    );
}
