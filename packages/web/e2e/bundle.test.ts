import { readdirSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { gzipSync } from 'node:zlib';

import { describe, expect, it } from 'vitest';

import { DIST_DIR } from './paths.js';

/** Budget for the JavaScript a first visit must load before the app runs (gzip). */
const INITIAL_JS_BUDGET = 250 * 1024;

/** Static imports of a built chunk (`import{a as b}from"./x.js"`, `import"./y.js"`, `export*from"./z.js"`). */
function staticImports(code: string): string[] {
  const out: string[] = [];
  const pattern = /\b(?:import|export)\s*(?:[\w$*{},\s]*?\s*from\s*)?(["'`])([^"'`]+?\.js)\1/g;
  for (const match of code.matchAll(pattern)) {
    // `import("./x.js")` is a dynamic import (a lazy chunk), and the pattern cannot match it: "(" is not allowed.
    out.push(match[2] ?? '');
  }
  return out;
}

/** The entry script of index.html and every chunk it reaches through static imports (module preloads included). */
function initialScripts(): string[] {
  const html = readFileSync(join(DIST_DIR, 'index.html'), 'utf8');
  const entries = [
    ...[...html.matchAll(/<script\b[^>]*type="module"[^>]*\bsrc="([^"]+)"/g)].map((m) => m[1] ?? ''),
    ...[...html.matchAll(/<link\b[^>]*rel="modulepreload"[^>]*\bhref="([^"]+)"/g)].map((m) => m[1] ?? ''),
  ];
  const seen = new Set<string>();
  const queue = entries.map((src) => posix.normalize(src.replace(/^\//, '')));
  while (queue.length > 0) {
    const file = queue.shift() ?? '';
    if (seen.has(file)) {
      continue;
    }
    seen.add(file);
    const code = readFileSync(join(DIST_DIR, file), 'utf8');
    for (const spec of staticImports(code)) {
      queue.push(posix.normalize(spec.startsWith('/') ? spec.slice(1) : posix.join(posix.dirname(file), spec)));
    }
  }
  return [...seen];
}

describe('the built UI bundle', () => {
  it(`loads at most ${INITIAL_JS_BUDGET / 1024} KB of gzipped JavaScript up front, React in its production build`, () => {
    const files = initialScripts();
    expect(files.length).toBeGreaterThan(0);
    const sizes = files.map((file) => {
      const body = readFileSync(join(DIST_DIR, file));
      return { file, raw: body.length, gzip: gzipSync(body).length, code: body.toString('utf8') };
    });
    const total = sizes.reduce((n, s) => n + s.gzip, 0);
    const raw = sizes.reduce((n, s) => n + s.raw, 0);
    const lazy = readdirSync(join(DIST_DIR, 'assets'))
      .map((name) => `assets/${name}`)
      .filter((file) => file.endsWith('.js') && !files.includes(file))
      .map((file) => `${file} ${(gzipSync(readFileSync(join(DIST_DIR, file))).length / 1024).toFixed(1)} KB`);
    const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
    process.stdout.write(
      `[e2e] initial JS: ${kb(total)} gzip (${kb(raw)} raw) of ${kb(INITIAL_JS_BUDGET)}: ${sizes
        .map((s) => `${s.file} ${kb(s.gzip)}`)
        .join(', ')}; lazy: ${lazy.join(', ') || 'none'}\n`,
    );
    expect(total).toBeLessThanOrEqual(INITIAL_JS_BUDGET);
    // The lazy markdown chunk stays out of the first load.
    expect(files.some((f) => /Markdown-/.test(f))).toBe(false);
    // A build run with NODE_ENV other than production ships React's development build (double effects, twice the size).
    for (const s of sizes) {
      expect(s.code.includes('runWithFiberInDEV'), `${s.file} has React's development build`).toBe(false);
    }
  });
});
