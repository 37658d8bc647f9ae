import { readFile, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { Option, type Command } from 'commander';

import type { SingleBar } from 'cli-progress';

import type { ContextPilotClient } from '@contextpilot/client';

import { needsScope, type CommandAction } from '../command.js';
import { CliError, EXIT, usageError } from '../exit-codes.js';
import { emit } from '../output.js';
import { integerIn } from '../parse.js';
import { createPrivateFile } from '../private-file.js';
import { progressBar, uploadCountingFetch } from '../progress.js';

/** How often the server is asked how much is left to embed. */
const POLL_MS = 250;

/** Active units the server has not embedded yet: the indexer's count, and units stored without vectors. */
async function unembedded(client: ContextPilotClient): Promise<number> {
  const [health, stats] = await Promise.all([client.health(), client.stats()]);
  return Math.max(health.components.indexing?.pending ?? 0, stats.active_contexts - stats.contexts_with_embeddings);
}

/**
 * Waits, with a bar of embedded units, until the server has a vector for every active unit. Gives up when the count
 * has not moved for `stallSeconds` (the embedding provider may be down: the server keeps such units pending).
 */
async function waitForEmbeddings(
  client: ContextPilotClient,
  imported: number,
  options: { showProgress: boolean; stallSeconds: number; bars: Set<SingleBar> },
): Promise<void> {
  let remaining = await unembedded(client);
  if (remaining === 0) {
    return;
  }
  const bar = options.showProgress ? progressBar('Embedding', 'units') : null;
  let total = Math.max(imported, remaining);
  bar?.start(total, total - remaining);
  if (bar !== null) {
    options.bars.add(bar);
  }
  let lastChange = Date.now();
  try {
    while (remaining > 0) {
      await sleep(POLL_MS);
      const now = await unembedded(client);
      if (now !== remaining) {
        lastChange = Date.now();
      } else if (Date.now() - lastChange > options.stallSeconds * 1000) {
        throw new CliError(
          `${remaining} units are still not embedded after ${options.stallSeconds} s without progress; see \`contextpilot status\``,
          EXIT.failure,
        );
      }
      remaining = now;
      if (remaining > total) {
        total = remaining;
        bar?.setTotal(total);
      }
      bar?.update(total - remaining);
    }
  } finally {
    bar?.stop();
  }
}

async function readImportFile(path: string): Promise<Uint8Array> {
  let info;
  try {
    info = await stat(path);
  } catch (error) {
    throw new CliError(`Cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, EXIT.usage);
  }
  if (!info.isFile()) {
    throw usageError(`${path} is not a file`);
  }
  return readFile(path);
}

/** `import` (with progress until every unit is embedded) and `export`. */
export function registerTransferCommands(program: Command, action: CommandAction): void {
  needsScope(program.command('import'), 'contexts:write')
    .description('import units from a JSON or CSV file (as written by export), then wait until all are embedded')
    .argument('<file>', 'a .json or .csv file')
    .option('--replace', 'delete every existing unit first')
    .option('--no-wait', 'return once the server has stored the units, before they are embedded')
    .option(
      '--wait-timeout <seconds>',
      'give up waiting when nothing was embedded for this long',
      integerIn(1, 86_400),
      300,
    )
    .option('-q, --quiet', 'no progress bars')
    .action(
      action(
        async (
          context,
          path: string,
          flags: { replace?: boolean; wait: boolean; waitTimeout: number; quiet?: boolean },
        ) => {
          const content = await readImportFile(path);
          const showProgress = flags.quiet !== true;
          const upload = showProgress ? progressBar('Uploading', 'KiB') : null;
          const kib = (bytes: number) => Math.ceil(bytes / 1024);
          const client = await context.client({ fetch: uploadCountingFetch((sent) => upload?.update(kib(sent))) });
          // Ctrl-C stops the bars first, so the terminal gets its cursor back.
          const bars = new Set<SingleBar>();
          const interrupt = () => {
            bars.forEach((bar) => bar.stop());
            process.stderr.write('\ncontextpilot: Interrupted\n');
            process.exit(EXIT.interrupted);
          };
          process.once('SIGINT', interrupt);
          try {
            let result;
            upload?.start(kib(content.byteLength), 0);
            if (upload !== null) {
              bars.add(upload);
            }
            try {
              result = await client.importContexts({ name: basename(path), content }, flags.replace === true);
            } finally {
              upload?.stop();
              bars.clear();
            }
            if (flags.wait) {
              await waitForEmbeddings(client, result.imported, { showProgress, stallSeconds: flags.waitTimeout, bars });
            }
            emit(context.output, { ...result, embedded: flags.wait }, (r) =>
              [
                `Imported ${r.imported} units, skipped ${r.skipped}${r.embedded ? '; all embedded' : ''}.`,
                ...r.errors.map((e) => `  ${e}`),
                ...(r.total_errors > r.errors.length ? [`  … and ${r.total_errors - r.errors.length} more`] : []),
              ].join('\n'),
            );
          } finally {
            process.removeListener('SIGINT', interrupt);
          }
        },
      ),
    );

  needsScope(program.command('export'), 'contexts:read')
    .description('write every unit as JSON or CSV (to standard output unless --output)')
    .addOption(new Option('-f, --format <format>', 'json or csv').choices(['json', 'csv']).default('json'))
    .option('-o, --output <file>', 'write to this file (created readable by you only)')
    .action(
      action(async (context, flags: { format: 'json' | 'csv'; output?: string }) => {
        if (flags.output === undefined) {
          const { body } = await (await context.client()).exportContexts(flags.format);
          context.output.out(body.endsWith('\n') ? body : `${body}\n`);
          return;
        }
        // Personal data: a new file for its owner only.
        const file = await createPrivateFile(flags.output);
        const { body } = await (await context.client()).exportContexts(flags.format).catch(async (error: unknown) => {
          await file.discard();
          throw error;
        });
        await file.write(body);
        const bytes = Buffer.byteLength(body);
        emit(
          context.output,
          { file: flags.output, format: flags.format, bytes },
          (r) => `Wrote ${r.file} (${r.bytes} bytes)`,
        );
      }),
    );
}
