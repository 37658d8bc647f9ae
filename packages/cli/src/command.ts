import type { Command } from 'commander';

import type { Scope } from '@contextpilot/contract/scopes';

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

/**
 * What a command's requests need from the API key: a scope, `per-tool` (MCP: each tool call is checked), `any` (any
 * valid key) or `local` (no request to a server).
 */
export type CommandScope = Scope | 'per-tool' | 'any' | 'local';

const declared = new WeakMap<Command, CommandScope>();

/** Declares, next to a command's definition, the scope its requests need; its help says it. */
export function needsScope(command: Command, scope: CommandScope): Command {
  declared.set(command, scope);
  const text =
    scope === 'local'
      ? 'Sends no request to a server.'
      : scope === 'any'
        ? 'Works with any valid API key.'
        : scope === 'per-tool'
          ? 'Each MCP tool call needs the scope of the route it uses (see docs/MCP.md).'
          : `Needs an API key with the "${scope}" scope (or "admin").`;
  return command.addHelpText('after', `\n${text}`);
}

/** The scope declared for a command (undefined when none was). */
export function declaredScope(command: Command): CommandScope | undefined {
  return declared.get(command);
}
