import type { Command } from 'commander';

import { createCommandContext, type CommandContext, type GlobalOptions } from './context.js';

/** Wraps a command's body: it gets the context made from the global options, then the command's arguments. */
export type CommandAction = <A extends unknown[]>(
  body: (context: CommandContext, ...args: A) => Promise<void>,
) => (...args: unknown[]) => Promise<void>;

/** The action wrapper of a program; `onContext` learns each context made (to name the server in errors). */
export function commandAction(
  env: Record<string, string | undefined>,
  onContext: (context: CommandContext) => void,
): CommandAction {
  return (body) =>
    async (...args) => {
      // Commander passes the command's arguments, its options, then the command itself.
      const command = args.at(-1) as Command;
      const context = createCommandContext(command.optsWithGlobals<GlobalOptions>(), env);
      onContext(context);
      await body(context, ...(args.slice(0, -1) as never));
    };
}
