import { Option, type Command } from 'commander';

import type { ContextUnitUpdate, SupersedeRequest } from '@contextpilot/contract';
import { CONTEXT_STATUSES, CONTEXT_TYPES } from '@contextpilot/contract/limits';

import { needsScope, type CommandAction } from '../command.js';
import { usageError } from '../exit-codes.js';
import { emit, unitDetail, unitTable } from '../output.js';
import { commaList, fraction, integerIn } from '../parse.js';
import { textArgument } from '../stdin.js';

const typeOption = (description: string) => new Option('-t, --type <type>', description).choices(CONTEXT_TYPES);
const tagsOption = () => new Option('--tags <tags>', 'comma-separated tags (replaces the tags)').argParser(commaList);
const confidenceOption = () => new Option('-c, --confidence <n>', 'confidence from 0 to 1').argParser(fraction);

interface UnitFlags {
  type?: (typeof CONTEXT_TYPES)[number];
  tags?: string[];
  confidence?: number;
  source?: string;
}

/** `add`, `list`, `get`, `edit`, `supersede` and `rm`. */
export function registerContextCommands(program: Command, action: CommandAction): void {
  needsScope(program.command('add'), 'contexts:write')
    .description('add a context unit (content "-" reads it from standard input)')
    .argument('<content>', 'what to remember')
    .addOption(typeOption('preference, decision, fact or goal').makeOptionMandatory())
    .addOption(tagsOption())
    .addOption(confidenceOption())
    .option('-s, --source <source>', 'where it comes from (default: manual)')
    .action(
      action(async (context, content: string, flags: UnitFlags & { type: (typeof CONTEXT_TYPES)[number] }) => {
        const client = await context.client();
        const unit = await client.createContext({
          type: flags.type,
          content: await textArgument(content, 'content'),
          ...(flags.tags !== undefined && { tags: flags.tags }),
          ...(flags.confidence !== undefined && { confidence: flags.confidence }),
          ...(flags.source !== undefined && { source: flags.source }),
        });
        emit(context.output, unit, (u) => `Added ${u.type} ${u.id}`);
      }),
    );

  needsScope(program.command('list'), 'contexts:read')
    .alias('ls')
    .description('list context units (active ones unless --all)')
    .addOption(typeOption('only this type'))
    .option('--tags <tags>', 'only units with any of these comma-separated tags')
    .option('--search <text>', 'only units whose content contains this text')
    .addOption(new Option('--status <status>', 'only units with this status').choices(CONTEXT_STATUSES))
    .option('-a, --all', 'include superseded units')
    .option('-n, --limit <n>', 'at most this many (default 100)', integerIn(0, 100_000))
    .option('--offset <n>', 'skip this many', integerIn(0, Number.MAX_SAFE_INTEGER))
    .action(
      action(
        async (
          context,
          flags: {
            type?: string;
            tags?: string;
            search?: string;
            status?: string;
            all?: boolean;
            limit?: number;
            offset?: number;
          },
        ) => {
          const units = await (
            await context.client()
          ).listContexts({
            type: flags.type,
            tags: flags.tags,
            search: flags.search,
            status_filter: flags.status,
            include_superseded: flags.all === true || flags.status === 'superseded' ? true : undefined,
            limit: flags.limit,
            offset: flags.offset,
          });
          emit(context.output, units, (list) => unitTable(context.output, list));
        },
      ),
    );

  needsScope(program.command('get'), 'contexts:read')
    .description('show one context unit')
    .argument('<id>', 'the unit id')
    .action(
      action(async (context, id: string) => {
        const unit = await (await context.client()).getContext(id);
        emit(context.output, unit, unitDetail);
      }),
    );

  needsScope(program.command('edit'), 'contexts:write')
    .description('change a context unit in place (only the fields given)')
    .argument('<id>', 'the unit id')
    .option('--content <content>', 'new content ("-" reads it from standard input)')
    .addOption(typeOption('new type'))
    .addOption(tagsOption())
    .addOption(confidenceOption())
    .addOption(new Option('--status <status>', 'new status').choices(CONTEXT_STATUSES))
    .action(
      action(async (context, id: string, flags: UnitFlags & { content?: string; status?: 'active' | 'superseded' }) => {
        const patch: ContextUnitUpdate = {
          ...(flags.content !== undefined && { content: await textArgument(flags.content, 'content') }),
          ...(flags.type !== undefined && { type: flags.type }),
          ...(flags.tags !== undefined && { tags: flags.tags }),
          ...(flags.confidence !== undefined && { confidence: flags.confidence }),
          ...(flags.status !== undefined && { status: flags.status }),
        };
        if (Object.keys(patch).length === 0) {
          throw usageError('Nothing to change: give --content, --type, --tags, --confidence or --status');
        }
        const unit = await (await context.client()).updateContext(id, patch);
        emit(context.output, unit, (u) => `Updated ${u.type} ${u.id}`);
      }),
    );

  needsScope(program.command('supersede'), 'contexts:write')
    .description('replace an active unit by a new one; the old one is kept, linked to it')
    .argument('<id>', 'the unit it replaces')
    .argument('<content>', 'the new content ("-" reads it from standard input)')
    .addOption(typeOption("type of the new unit (default: the old one's)"))
    .addOption(tagsOption())
    .addOption(confidenceOption())
    .option('-s, --source <source>', 'source of the new unit')
    .action(
      action(async (context, id: string, content: string, flags: UnitFlags) => {
        const input: SupersedeRequest = {
          content: await textArgument(content, 'content'),
          ...(flags.type !== undefined && { type: flags.type }),
          ...(flags.tags !== undefined && { tags: flags.tags }),
          ...(flags.confidence !== undefined && { confidence: flags.confidence }),
          ...(flags.source !== undefined && { source: flags.source }),
        };
        const unit = await (await context.client()).supersedeContext(id, input);
        emit(context.output, unit, (u) => `Added ${u.type} ${u.id}, superseding ${id}`);
      }),
    );

  needsScope(program.command('rm'), 'contexts:write')
    .description('delete a context unit')
    .argument('<id>', 'the unit id')
    .action(
      action(async (context, id: string) => {
        await (await context.client()).deleteContext(id);
        emit(context.output, { deleted: id }, () => `Deleted ${id}`);
      }),
    );
}
