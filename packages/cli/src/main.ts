import { readFileSync } from 'node:fs';

import { Command, CommanderError } from 'commander';

import { commandAction } from './command.js';
import { registerAdminCommands } from './commands/admin.js';
import { registerChatCommands } from './commands/chat.js';
import { registerContextCommands } from './commands/contexts.js';
import { registerPromptCommands } from './commands/prompt.js';
import { registerServerCommands } from './commands/serve.js';
import { registerTransferCommands } from './commands/transfer.js';
import type { CommandContext } from './context.js';
import { describeFailure, EXIT } from './exit-codes.js';
import { printable } from './output.js';

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

/** The `contextpilot` program. */
export function createProgram(env: Record<string, string | undefined>, onContext: (context: CommandContext) => void) {
  const program = new Command('contextpilot')
    .description('ContextPilot in the terminal: your context units, search, prompts, chat and MCP')
    .version(version)
    .option('--url <url>', 'server URL (CONTEXTPILOT_URL, else the config file, else http://127.0.0.1:8000)')
    .option('--api-key <key>', 'API key (CONTEXTPILOT_API_KEY, else the config file)')
    .option(
      '--signing-secret <secret>',
      'request signing secret (CONTEXTPILOT_REQUEST_SIGNING_SECRET, else the config file)',
    )
    .option('--json', 'print results as JSON')
    .showSuggestionAfterError()
    .exitOverride()
    .addHelpText(
      'after',
      '\nExit codes: 0 ok, 1 failed, 2 usage or invalid input, 3 authentication, 4 not found, 5 server unreachable, 130 interrupted.',
    );
  const action = commandAction(env, onContext);
  registerContextCommands(program, action);
  registerPromptCommands(program, action);
  registerTransferCommands(program, action);
  registerChatCommands(program, action);
  registerAdminCommands(program, action);
  registerServerCommands(program, action);
  // Subcommands exit through the same path as the program.
  for (const command of program.commands) {
    command.exitOverride();
    command.commands.forEach((sub) => sub.exitOverride());
  }
  return program;
}

/** Runs the CLI on `argv`; resolves to the exit code. Errors go to stderr with the server's message. */
export async function main(argv: readonly string[]): Promise<number> {
  let context: CommandContext | null = null;
  const program = createProgram(process.env, (made) => {
    context = made;
  });
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander has printed the problem (or the help or version, which exit 0).
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    const failure = describeFailure(error, (context as CommandContext | null)?.serverUrl ?? null);
    const message = process.stderr.isTTY === true ? printable(failure.message) : failure.message;
    process.stderr.write(`contextpilot: ${message}\n`);
    return failure.exitCode;
  }
}
