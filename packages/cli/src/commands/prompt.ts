import { Option, type Command } from 'commander';

import type { GeneratedPrompt, TaskRequest } from '@contextpilot/contract';
import { CONTEXT_TYPES } from '@contextpilot/contract/limits';

import { needsScope, type CommandAction } from '../command.js';
import { emit, listTable } from '../output.js';
import { commaList, fraction, integerIn } from '../parse.js';
import { textArgument } from '../stdin.js';

interface TaskFlags {
  limit?: number;
  minScore?: number;
  type?: string[];
  tags?: string[];
}

/** The options that pick the units for a task, shared by `search` and `prompt`. */
function withTaskOptions(command: Command): Command {
  return command
    .argument('<task>', 'what you are working on ("-" reads it from standard input)')
    .option('-n, --limit <n>', 'at most this many units (1–20)', integerIn(1, 20))
    .option('--min-score <n>', 'leave out units scoring below this (0–1)', fraction)
    .addOption(
      new Option('-t, --type <types>', `only these types, comma-separated (${CONTEXT_TYPES.join(', ')})`).argParser(
        commaList,
      ),
    )
    .addOption(new Option('--tags <tags>', 'only units with any of these comma-separated tags').argParser(commaList));
}

async function taskRequest(task: string, flags: TaskFlags): Promise<TaskRequest> {
  return {
    task: await textArgument(task, 'task'),
    ...(flags.limit !== undefined && { max_context_units: flags.limit }),
    ...(flags.minScore !== undefined && { min_score: flags.minScore }),
    ...(flags.type !== undefined && { types: flags.type as TaskRequest['types'] }),
    ...(flags.tags !== undefined && { tags: flags.tags }),
  };
}

/** `search` (the ranked units for a task) and `prompt` (the prompt composed from them). */
export function registerPromptCommands(program: Command, action: CommandAction): void {
  withTaskOptions(
    needsScope(program.command('search'), 'prompts').description('the units that matter for a task, best first'),
  ).action(
    action(async (context, task: string, flags: TaskFlags) => {
      const generated = await (await context.client()).generatePrompt(await taskRequest(task, flags));
      emit(context.output, generated.relevant_context, (ranked) =>
        listTable(context.output, ranked, {
          empty: 'No matching context units.',
          headers: ['SCORE', 'ID', 'TYPE', 'CONTENT'],
          row: (r) => [r.relevance_score.toFixed(3), r.context_unit.id, r.context_unit.type, r.context_unit.content],
        }),
      );
    }),
  );

  withTaskOptions(
    needsScope(program.command('prompt'), 'prompts')
      .description('print the prompt composed from your context for a task (pipe it anywhere)')
      .option('--compact', 'the compact form'),
  ).action(
    action(async (context, task: string, flags: TaskFlags & { compact?: boolean }) => {
      const client = await context.client();
      const request = await taskRequest(task, flags);
      const generated = flags.compact
        ? await client.generateCompactPrompt(request)
        : await client.generatePrompt(request);
      // The prompt as it is: it goes to a model or a pipe, so nothing is escaped or cut.
      emit<GeneratedPrompt>(context.output, generated, (g) => g.generated_prompt);
    }),
  );
}
