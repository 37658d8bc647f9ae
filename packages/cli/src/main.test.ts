import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';

import { SCOPES } from '@contextpilot/contract/scopes';

import { declaredScope } from './command.js';
import { createProgram } from './main.js';

/** The commands that run something (no subcommands), with their full names. */
function leaves(command: Command, prefix = ''): Array<[string, Command]> {
  return command.commands.flatMap((sub) => {
    const name = `${prefix}${sub.name()}`;
    return sub.commands.length === 0 ? [[name, sub] as [string, Command]] : leaves(sub, `${name} `);
  });
}

describe('the program', () => {
  it('declares, for every command, the scope its requests need', () => {
    const commands = leaves(createProgram({}, () => undefined));
    expect(commands.map(([name]) => name)).toEqual(
      expect.arrayContaining([
        'add',
        'list',
        'search',
        'prompt',
        'import',
        'chat',
        'conversations rm',
        'keys rotate',
        'mcp',
      ]),
    );
    for (const [name, command] of commands) {
      const scope = declaredScope(command);
      expect({ name, scope }).toEqual({
        name,
        scope: expect.toSatisfy((value: unknown) => [...SCOPES, 'per-tool', 'any', 'local'].includes(value as string)),
      });
    }
    expect(declaredScope(commands.find(([name]) => name === 'keys rotate')![1])).toBe('admin');
  });
});
