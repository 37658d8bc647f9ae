import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { buildTestApp, listenOnLoopback, tempDir, token } from './helpers.js';

/*
 * The SDK as a user gets it: `npm pack` of contract and client, `npm install` of the two tarballs into a fresh
 * project outside the repository, then plain `node` (no `development` condition, no tsx) and the repository's `tsc`
 * against a real server with an API key and request signing on.
 */

const run = promisify(execFile);
const REPO = fileURLToPath(new URL('../../..', import.meta.url));
const PACKAGES = ['contract', 'client'] as const;
const API_KEY = 'sdk-package-test-key-0123456789abcdef';
const SECRET = 'sdk-package-test-signing-secret-0123456789';
const TSC = join(REPO, 'node_modules/typescript/bin/tsc');

/** The environment of the npm and node children: no `npm_*` settings of the npm that started the tests. */
const childEnv = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^npm_/i.test(name)));

interface PackResult {
  filename: string;
  files: { path: string }[];
}

/** What a file of the tarball imports at run time: `import … from '…'` and `export … from '…'` specifiers. */
function runtimeImports(code: string): string[] {
  return [...code.matchAll(/^\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]/gm)].map((m) => m[1]!);
}

/** The ```ts blocks of a README. */
function tsBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((m) => m[1]!);
}

const CONSUMER_SCRIPT = `
import { ApiError, createClient } from '@contextpilot/client';

const { BASE_URL, API_KEY, SECRET, TAG } = process.env;
const client = createClient({ baseUrl: BASE_URL, apiKey: API_KEY, signingSecret: SECRET });
const errorOf = (promise) =>
  promise.then(
    () => null,
    (e) => ({ name: e.name, isApiError: e instanceof ApiError, status: e.status, errorCode: e.errorCode, message: e.message }),
  );

const unit = await client.createContext({
  type: 'preference',
  content: 'For ' + TAG + ' services I prefer PostgreSQL with nightly backups',
  tags: [TAG],
});
const listed = await client.listContexts({ tags: TAG });
const full = await client.generatePrompt({ task: 'Pick a database for the ' + TAG + ' service', max_context_units: 3 });
const compact = await client.generateCompactPrompt({ task: 'Pick a database for the ' + TAG + ' service' });
const notFound = await errorOf(client.getContext('no-such-' + TAG));
const unsigned = await errorOf(
  createClient({ baseUrl: BASE_URL, apiKey: API_KEY }).createContext({ type: 'fact', content: 'unsigned ' + TAG }),
);
const dotDot = await errorOf(client.deleteContext('..'));

console.log(JSON.stringify({
  resolved: import.meta.resolve('@contextpilot/client'),
  unit,
  listed: listed.map((u) => u.id),
  full: { ids: full.relevant_context.map((r) => r.context_unit.id), prompt: full.generated_prompt },
  compact: { ids: compact.relevant_context.map((r) => r.context_unit.id), prompt: compact.generated_prompt },
  notFound,
  unsigned,
  dotDot,
}));
`;

const CONSUMER_TYPES = `
import { ApiError, createClient, type ChatStreamEvent, type ContextPilotClient } from '@contextpilot/client';
import { CHAT_STREAM_EVENTS, type ContextUnit, type GeneratedPrompt } from '@contextpilot/contract';

const client: ContextPilotClient = createClient({ baseUrl: 'http://127.0.0.1:1', apiKey: () => 'k', signingSecret: 's' });

export async function check(): Promise<string[]> {
  const unit: ContextUnit = await client.createContext({ type: 'fact', content: 'x', tags: ['a'] });
  const prompt: GeneratedPrompt = await client.generatePrompt({ task: 't', max_context_units: 3 });
  const out = [unit.id, prompt.generated_prompt];
  for await (const event of client.chatStream({ task: 't' }, { signal: new AbortController().signal })) {
    const e: ChatStreamEvent = event;
    if (e.type === 'meta') {
      out.push(e.data.provider, String(e.data.history_dropped));
    } else if (e.type === 'delta') {
      out.push(e.data.text);
    } else {
      out.push(e.data.conversation_id);
    }
  }
  // The types are the contract's, not \`any\`: each line below must be an error.
  // @ts-expect-error a unit's type is one of the contract's four
  const wrongType: 'note' = unit.type;
  // @ts-expect-error the body is checked against ContextUnitCreate
  await client.createContext({ type: 'note', content: 'x' });
  // @ts-expect-error a delta's text is a string
  const wrongDelta: number = CHAT_STREAM_EVENTS.delta.parse({ text: 'x' }).text;
  const error = new ApiError(404, 'NOT_FOUND', 'gone');
  out.push(error.errorCode, String(error.status), String(wrongType), String(wrongDelta));
  return out;
}
`;

describe('the SDK packages as published: npm pack, npm install, node and tsc', () => {
  let app: FastifyInstance;
  let base: string;
  let project: string;
  const packs = new Map<string, PackResult>();
  const manifestsBefore = new Map<string, string>();

  beforeAll(async () => {
    app = await buildTestApp({
      CONTEXTPILOT_ENABLE_AUTH: 'true',
      CONTEXTPILOT_API_KEY: API_KEY,
      CONTEXTPILOT_ENABLE_REQUEST_SIGNING: 'true',
      CONTEXTPILOT_REQUEST_SIGNING_SECRET: SECRET,
    });
    base = await listenOnLoopback(app);

    const work = tempDir();
    const tarballs = join(work, 'tarballs');
    mkdirSync(tarballs);
    for (const name of PACKAGES) {
      const dir = join(REPO, 'packages', name);
      manifestsBefore.set(name, readFileSync(join(dir, 'package.json'), 'utf8'));
      // `prepack` builds the package and strips the `development` condition; `postpack` puts it back.
      const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', tarballs], {
        cwd: dir,
        env: childEnv,
        maxBuffer: 16 << 20,
      });
      const [result] = JSON.parse(stdout) as PackResult[];
      packs.set(name, result!);
    }

    project = join(work, 'consumer');
    mkdirSync(project);
    writeFileSync(
      join(project, 'package.json'),
      JSON.stringify({ name: 'sdk-consumer', version: '0.0.0', private: true, type: 'module' }),
    );
    await run(
      'npm',
      [
        'install',
        '--no-audit',
        '--no-fund',
        '--prefer-offline',
        ...PACKAGES.map((name) => join(tarballs, packs.get(name)!.filename)),
      ],
      { cwd: project, env: childEnv, maxBuffer: 16 << 20 },
    );
  }, 180_000);

  afterAll(async () => {
    await app?.close();
  });

  it('packs the built code, its types and the README, and no sources, tests or server code', () => {
    for (const name of PACKAGES) {
      const files = packs.get(name)!.files.map((f) => f.path);
      expect(files, name).toEqual(expect.arrayContaining(['dist/index.js', 'dist/index.d.ts', 'README.md']));
      for (const file of files) {
        expect(file === 'package.json' || file === 'README.md' || file.startsWith('dist/'), `${name}: ${file}`).toBe(
          true,
        );
        expect(file, name).not.toMatch(/\.test\.|tsbuildinfo|server|^src\//);
      }
    }
    expect(packs.get('client')!.files.map((f) => f.path)).toEqual(
      expect.arrayContaining(['dist/client.js', 'dist/client.d.ts', 'dist/signing.js', 'dist/sse.js']),
    );
  });

  it('leaves the repository manifests as they were (with the development condition)', () => {
    for (const name of PACKAGES) {
      const dir = join(REPO, 'packages', name);
      expect(readFileSync(join(dir, 'package.json'), 'utf8'), name).toBe(manifestsBefore.get(name));
      expect(readFileSync(join(dir, 'package.json'), 'utf8'), name).toContain('"development": "./src/index.ts"');
      expect(existsSync(join(dir, 'package.json.before-pack')), name).toBe(false);
    }
  });

  it('installs manifests that are public, point only at dist/ and name their dependencies', () => {
    const manifest = (name: string) =>
      JSON.parse(readFileSync(join(project, 'node_modules/@contextpilot', name, 'package.json'), 'utf8')) as Record<
        string,
        unknown
      >;
    const client = manifest('client');
    const contract = manifest('contract');
    // The packages installed are the ones just packed, not others of the same name.
    for (const name of PACKAGES) {
      const packed = JSON.parse(manifestsBefore.get(name)!) as Record<string, unknown>;
      expect(manifest(name)).toMatchObject({
        name: packed.name,
        version: packed.version,
        description: packed.description,
      });
    }
    for (const m of [client, contract]) {
      expect(m.private).toBeUndefined();
      expect(m.license).toBe('Apache-2.0');
      expect(JSON.stringify(m.exports)).not.toContain('development');
      expect(JSON.stringify(m.exports)).not.toContain('src/');
    }
    expect(client.exports).toEqual({
      '.': { types: './dist/index.d.ts', default: './dist/index.js' },
      './package.json': './package.json',
    });
    expect(client.sideEffects).toBe(false);
    expect(client.dependencies).toEqual({ '@contextpilot/contract': '1.0.0' });
    expect(Object.keys(contract.dependencies as object)).toEqual(['zod']);
    // Everything came from the tarballs and the registry, nothing from the workspace.
    expect(readdirSync(join(project, 'node_modules/@contextpilot')).sort()).toEqual(['client', 'contract']);
  });

  it('ships client code that imports nothing at run time but its own files and the contract’s zod-free constants', () => {
    const dist = join(project, 'node_modules/@contextpilot/client/dist');
    const imports = readdirSync(dist)
      .filter((f) => f.endsWith('.js'))
      .flatMap((f) => runtimeImports(readFileSync(join(dist, f), 'utf8')));
    expect(imports.length).toBeGreaterThan(0);
    for (const specifier of imports) {
      // Never the contract's index: it would bring zod into every bundle that uses the SDK.
      expect(specifier).toMatch(/^(\.\/[\w-]+\.js|@contextpilot\/contract\/signing)$/);
    }
  });

  it('runs under plain node against a server with an API key and request signing', async () => {
    const tag = token();
    writeFileSync(join(project, 'consumer.mjs'), CONSUMER_SCRIPT);
    const { stdout } = await run(process.execPath, ['consumer.mjs'], {
      cwd: project,
      env: { PATH: process.env.PATH ?? '', BASE_URL: base, API_KEY, SECRET, TAG: tag },
    });
    const out = JSON.parse(stdout) as {
      resolved: string;
      unit: { id: string; content: string; tags: string[]; status: string };
      listed: string[];
      full: { ids: string[]; prompt: string };
      compact: { ids: string[]; prompt: string };
      notFound: Record<string, unknown>;
      unsigned: Record<string, unknown>;
      dotDot: Record<string, unknown>;
    };
    expect(out.resolved).toBe(pathToFileURL(join(project, 'node_modules/@contextpilot/client/dist/index.js')).href);
    expect(out.unit).toMatchObject({
      content: `For ${tag} services I prefer PostgreSQL with nightly backups`,
      tags: [tag],
      status: 'active',
    });
    expect(out.listed).toEqual([out.unit.id]);
    expect(out.full.ids[0]).toBe(out.unit.id);
    expect(out.full.prompt).toContain(`Pick a database for the ${tag} service`);
    expect(out.full.prompt).toContain(`For ${tag} services I prefer PostgreSQL with nightly backups`);
    expect(out.compact.ids[0]).toBe(out.unit.id);
    expect(out.compact.prompt).toContain('PostgreSQL with nightly backups');
    expect(out.compact.prompt.length).toBeLessThan(out.full.prompt.length);
    expect(out.notFound).toEqual({
      name: 'ApiError',
      isApiError: true,
      status: 404,
      errorCode: 'HTTP_ERROR',
      message: `Context unit no-such-${tag} not found`,
    });
    // The same request without the secret is refused: the server really checks signatures.
    expect(out.unsigned).toMatchObject({ isApiError: true, status: 401 });
    expect(out.dotDot).toMatchObject({ name: 'InvalidIdError', isApiError: false });
  });

  it('type-checks a consumer and the README examples with the published types alone', async () => {
    writeFileSync(join(project, 'consumer.ts'), CONSUMER_TYPES);
    // The README examples share one `client`; each is a module of its own.
    writeFileSync(
      join(project, 'readme-globals.d.ts'),
      "declare const client: import('@contextpilot/client').ContextPilotClient;\n",
    );
    const examples: string[] = [];
    for (const name of PACKAGES) {
      const readme = readFileSync(join(project, 'node_modules/@contextpilot', name, 'README.md'), 'utf8');
      tsBlocks(readme).forEach((code, i) => {
        const file = `readme-${name}-${i}.ts`;
        writeFileSync(join(project, file), `${code}\nexport {};\n`);
        examples.push(file);
      });
    }
    expect(examples.length).toBeGreaterThanOrEqual(9);
    const args = [
      TSC,
      '--noEmit',
      '--module',
      'nodenext',
      '--moduleResolution',
      'nodenext',
      '--strict',
      // Node's globals (`process`) for the README examples, from the repository.
      '--typeRoots',
      join(REPO, 'node_modules/@types'),
      '--types',
      'node',
      'consumer.ts',
      'readme-globals.d.ts',
      ...examples,
    ];
    const result = await run(process.execPath, args, { cwd: project, env: childEnv }).then(
      () => '',
      // Never empty: the command line and stderr, then tsc's report.
      (error: Error & { stdout?: string }) => `${error.message}\n${error.stdout ?? ''}`,
    );
    expect(result).toBe('');
  });
});
