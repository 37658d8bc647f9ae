import { describe, expect, it } from 'vitest';

import { emit, printable, table, type Output } from './output.js';

function fakeOutput(tty: boolean, columns = 60): Output & { written: string[] } {
  const written: string[] = [];
  return { json: false, tty, columns, out: (text) => written.push(text), err: () => undefined, written };
}

describe('printable', () => {
  it('shows control characters, terminal escapes among them, as \\u escapes; keeps line breaks and tabs', () => {
    expect(printable('a\u001b]0;title\u0007b')).toBe('a\\u001b]0;title\\u0007b');
    expect(printable('x\u001b[2Jy\u009bz\r')).toBe('x\\u001b[2Jy\\u009bz\\u000d');
    expect(printable('line one\n\tline two')).toBe('line one\n\tline two');
    expect(printable('plain – ünïcode ✓')).toBe('plain – ünïcode ✓');
  });
});

describe('emit', () => {
  it('escapes what it prints on a terminal, and prints raw into a pipe', () => {
    const tty = fakeOutput(true);
    emit(tty, 'reply \u001b[31mred', (text) => text);
    expect(tty.written).toEqual(['reply \\u001b[31mred\n']);
    const pipe = fakeOutput(false);
    emit(pipe, 'reply \u001b[31mred', (text) => text);
    expect(pipe.written).toEqual(['reply \u001b[31mred\n']);
  });

  it('prints JSON with --json, whatever the renderer says', () => {
    const json = { ...fakeOutput(true), json: true };
    const written: string[] = [];
    emit({ ...json, out: (text) => written.push(text) }, { a: 1 }, () => 'text');
    expect(JSON.parse(written.join(''))).toEqual({ a: 1 });
  });
});

describe('table', () => {
  it('aligns columns, cuts the last one to the terminal width, and keeps each row on one line', () => {
    const text = table(
      fakeOutput(true, 30),
      ['ID', 'CONTENT'],
      [
        ['a', 'short'],
        ['bbb', 'a long content\nwith a line break that goes on and on'],
      ],
    );
    const lines = text.split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toBe('ID   CONTENT');
    expect(lines[1]).toBe('a    short');
    expect(lines[2]?.startsWith('bbb  a long content with')).toBe(true);
    expect(lines[2]?.endsWith('…')).toBe(true);
    expect([...(lines[2] ?? '')].length).toBeLessThanOrEqual(30);
  });

  it('cuts nothing off a terminal', () => {
    const long = 'x'.repeat(500);
    expect(table(fakeOutput(false, Infinity), ['C'], [[long]])).toBe(`C\n${long}`);
  });
});
