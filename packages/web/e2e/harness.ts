import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';

import type { FastifyInstance } from 'fastify';
import {
  chromium,
  type Browser,
  type BrowserContext,
  type BrowserContextOptions,
  type Page,
  type Request as PlaywrightRequest,
} from 'playwright-core';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';

import { createClient, type ContextPilotClient } from '@contextpilot/client';

import {
  startOpenAiChatFake,
  type ChatFake,
  type OpenAiChatFakeOptions,
} from '../../server/test/fakes/openai-chat-fake.js';
import { buildTestApp } from '../../server/test/helpers.js';
import { CHROMIUM_PATH, DIST_DIR } from './paths.js';

/** Chromium flags for tests: no sandbox (root), no GPU, no background traffic, and no DNS outside loopback. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-sync',
  '--disable-quic',
  '--disable-dev-shm-usage',
  '--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1',
];

/** Debian's Chromium, headless, with `CHROMIUM_ARGS` (or other arguments, e.g. host-resolver rules of a test's own). */
export function launchBrowser(args: readonly string[] = CHROMIUM_ARGS): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, timeout: 30_000, args: [...args] });
}

/** A real server (built UI + API over a temp SQLite database) on a random loopback port, with its fake OpenAI. */
export interface E2eServer {
  app: FastifyInstance;
  fake: ChatFake;
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** The SDK over HTTP, with the server's API key and signing secret when it has them. */
  client: ContextPilotClient;
  close(): Promise<void>;
}

export interface ServerOptions {
  env?: Record<string, string>;
  fake?: OpenAiChatFakeOptions;
  /** Credentials the test's own SDK uses. */
  apiKey?: string;
  signingSecret?: string;
}

export async function startServer(options: ServerOptions = {}): Promise<E2eServer> {
  const fake = await startOpenAiChatFake(options.fake);
  const app = await buildTestApp({
    CONTEXTPILOT_WEB_DIR: DIST_DIR,
    CONTEXTPILOT_RATE_LIMIT_ENABLED: 'false',
    CONTEXTPILOT_OPENAI_API_KEY: 'sk-test',
    CONTEXTPILOT_OPENAI_BASE_URL: `${fake.url}/v1`,
    CONTEXTPILOT_DEFAULT_AI_PROVIDER: 'openai',
    CONTEXTPILOT_DEFAULT_AI_MODEL: 'gpt-4o',
    ...options.env,
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  const client = createClient({ baseUrl: url, apiKey: options.apiKey, signingSecret: options.signingSecret });
  return {
    app,
    fake,
    url,
    client,
    async close() {
      await app.close();
      await fake.close();
    },
  };
}

/** Something that went wrong in the page: every test expects none (apart from what it allows). */
export interface Issue {
  kind: 'console' | 'pageerror' | 'requestfailed' | 'off-host' | 'http-error' | 'csp';
  text: string;
}

export interface Allowances {
  /** HTTP statuses the test expects (e.g. 401 while no key is set). */
  statuses?: number[];
  /** Paths whose requests may be aborted (Stop aborts the stream). */
  abortedPaths?: string[];
}

export interface Session {
  context: BrowserContext;
  page: Page;
  issues: Issue[];
  /** Every request the page sent to the server, with its body. */
  requests: { method: string; path: string; headers: Record<string, string>; body: string | null }[];
  allow(more: Allowances): void;
  /** Reloads the page. Requests still in flight are abandoned by the browser: their abort is not a problem. */
  reload(): Promise<void>;
  /** Waits until no request of the page is in flight (before an action that would cancel them on purpose). */
  settled(): Promise<void>;
}

export interface OpenOptions extends BrowserContextOptions {
  /** Hash route to open; default the chat. Null opens nothing. */
  route?: string | null;
  allow?: Allowances;
  /** sessionStorage / localStorage entries set before the app starts. */
  sessionStorage?: Record<string, string>;
  localStorage?: Record<string, string>;
}

// Injected through the DevTools protocol (not an inline <script>), so the page's CSP does not block it.
const CSP_LISTENER = `document.addEventListener('securitypolicyviolation', (e) => {
  window.__e2eCsp(e.violatedDirective + ' blocked ' + (e.blockedURI || 'inline') + ' at ' + e.sourceFile + ':' + e.lineNumber);
});`;

function storageScript(kind: 'localStorage' | 'sessionStorage', entries: Record<string, string>): string {
  return `(() => { if (sessionStorage.getItem('__e2e_${kind}_seeded')) return; sessionStorage.setItem('__e2e_${kind}_seeded', '1');
  const entries = ${JSON.stringify(entries)}; for (const [k, v] of Object.entries(entries)) ${kind}.setItem(k, v); })();`;
}

export async function openSession(browser: Browser, server: E2eServer, options: OpenOptions = {}): Promise<Session> {
  const { route = '#/chat', allow = {}, sessionStorage, localStorage, ...contextOptions } = options;
  const context = await browser.newContext({
    viewport: { width: 1280, height: 900 },
    locale: 'en-US',
    timezoneId: 'UTC',
    ...contextOptions,
  });
  const issues: Issue[] = [];
  const requests: Session['requests'] = [];
  const allowances: Required<Allowances> = {
    statuses: [...(allow.statuses ?? [])],
    abortedPaths: [...(allow.abortedPaths ?? [])],
  };
  const host = new URL(server.url).host;
  const pending = new Set<PlaywrightRequest>();
  const abandoned = new Set<PlaywrightRequest>();

  await context.exposeBinding('__e2eCsp', (_source, text: string) => {
    issues.push({ kind: 'csp', text });
  });
  await context.addInitScript({ content: CSP_LISTENER });
  if (localStorage) {
    await context.addInitScript({ content: storageScript('localStorage', localStorage) });
  }
  if (sessionStorage) {
    await context.addInitScript({ content: storageScript('sessionStorage', sessionStorage) });
  }

  context.setDefaultTimeout(10_000);
  const page = await context.newPage();
  page.on('console', (message) => {
    if (message.type() !== 'error') {
      return;
    }
    const text = message.text();
    const status = /status of (\d{3})/.exec(text)?.[1];
    if (status && allowances.statuses.includes(Number(status))) {
      return;
    }
    issues.push({ kind: 'console', text });
  });
  page.on('pageerror', (error) => issues.push({ kind: 'pageerror', text: error.stack ?? error.message }));
  page.on('request', (request) => {
    pending.add(request);
    const url = new URL(request.url());
    if (url.protocol === 'http:' || url.protocol === 'https:' || url.protocol === 'ws:' || url.protocol === 'wss:') {
      if (url.host !== host) {
        issues.push({ kind: 'off-host', text: `${request.method()} ${request.url()}` });
        return;
      }
      requests.push({
        method: request.method(),
        path: url.pathname + url.search,
        headers: request.headers(),
        body: request.postData(),
      });
    }
  });
  page.on('requestfinished', (request) => pending.delete(request));
  page.on('requestfailed', (request) => {
    pending.delete(request);
    const url = new URL(request.url());
    const reason = request.failure()?.errorText ?? 'failed';
    if (reason === 'net::ERR_ABORTED' && abandoned.has(request)) {
      return;
    }
    if (reason === 'net::ERR_ABORTED' && allowances.abortedPaths.some((p) => url.pathname.startsWith(p))) {
      return;
    }
    if (url.protocol === 'blob:' && reason === 'net::ERR_ABORTED') {
      return; // a download's object URL is revoked as soon as the download has started
    }
    issues.push({ kind: 'requestfailed', text: `${request.method()} ${request.url()}: ${reason}` });
  });
  page.on('response', (response) => {
    const status = response.status();
    if (status >= 400 && !allowances.statuses.includes(status)) {
      issues.push({ kind: 'http-error', text: `${response.request().method()} ${response.url()}: ${status}` });
    }
  });

  if (route !== null) {
    await page.goto(`${server.url}/${route}`, { waitUntil: 'load' });
  }
  return {
    context,
    page,
    issues,
    requests,
    allow(more) {
      allowances.statuses.push(...(more.statuses ?? []));
      allowances.abortedPaths.push(...(more.abortedPaths ?? []));
    },
    async settled() {
      await until(() => pending.size === 0, 'no request in flight');
    },
    async reload() {
      for (const request of pending) {
        abandoned.add(request);
      }
      await page.reload({ waitUntil: 'load' });
    },
  };
}

/** The bodies the page sent to a path (parsed JSON). */
export function sentBodies(session: Session, method: string, path: string): unknown[] {
  return session.requests
    .filter((r) => r.method === method && r.path.split('?')[0] === path)
    .map((r) => (r.body === null ? null : (JSON.parse(r.body) as unknown)));
}

/** One Chromium for the whole test file (call at the top level of the file). */
export function useBrowser(args: readonly string[] = CHROMIUM_ARGS): () => Browser {
  let browser: Browser | undefined;
  beforeAll(async () => {
    browser = await launchBrowser(args);
  });
  afterAll(async () => {
    await browser?.close();
  });
  return () => {
    if (!browser) {
      throw new Error('browser not started');
    }
    return browser;
  };
}

/**
 * A server for the enclosing describe block, and a fresh browser context (own storage) per `open()`. After each
 * test every session is checked for console errors, failed or off-host requests, HTTP errors and CSP violations.
 * Without `browser`, the block launches its own Chromium.
 */
export function useE2e(options: ServerOptions = {}, browser?: () => Browser) {
  const getBrowser = browser ?? useBrowser();
  let server: E2eServer | undefined;
  const sessions: Session[] = [];

  beforeAll(async () => {
    server = await startServer(options);
  });

  afterEach(async () => {
    const open = sessions.splice(0);
    const issues = open.flatMap((s) => s.issues);
    await Promise.all(open.map((s) => s.context.close()));
    expect(issues, 'problems seen in the browser').toEqual([]);
  });

  afterAll(async () => {
    await server?.close();
  });

  return {
    get browser(): Browser {
      return getBrowser();
    },
    get server(): E2eServer {
      if (!server) {
        throw new Error('server not started');
      }
      return server;
    },
    async open(openOptions: OpenOptions = {}): Promise<Session> {
      const session = await openSession(getBrowser(), this.server, openOptions);
      sessions.push(session);
      return session;
    },
  };
}

const require = createRequire(import.meta.url);

export interface A11yReport {
  view: string;
  version: string;
  /** Rules that passed. */
  passes: number;
  /** Serious and critical violations: rule, impact, help and the nodes. */
  serious: { id: string; impact: string; help: string; nodes: string[] }[];
  /** Rule ids of the minor and moderate violations. */
  minor: string[];
}

/**
 * Runs axe-core (WCAG 2.x A/AA rules and best practices) over the whole page. axe is evaluated through the DevTools
 * protocol, not added as a <script> tag, so the UI's strict CSP does not have to be bypassed.
 */
export async function seriousA11yViolations(page: Page, view: string): Promise<A11yReport> {
  const axe = require('axe-core') as { source: string };
  const loaded = await page.evaluate(() => typeof (window as unknown as { axe?: unknown }).axe !== 'undefined');
  if (!loaded) {
    await page.evaluate(axe.source);
  }
  const result = await page.evaluate(async () => {
    interface AxeResult {
      id: string;
      impact?: string | null;
      help: string;
      nodes: { target: unknown[]; failureSummary?: string }[];
    }
    const w = window as unknown as {
      axe: {
        version: string;
        run: (context: unknown, options: unknown) => Promise<{ violations: AxeResult[]; passes: AxeResult[] }>;
      };
    };
    const out = await w.axe.run(document, { resultTypes: ['violations'] });
    return {
      version: w.axe.version,
      passes: out.passes.length,
      violations: out.violations.map((v) => ({
        id: v.id,
        impact: v.impact ?? 'unknown',
        help: v.help,
        nodes: v.nodes.map((n) => `${JSON.stringify(n.target)} ${n.failureSummary ?? ''}`.trim()),
      })),
    };
  });
  const serious = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  const minor = result.violations.filter((v) => !serious.includes(v)).map((v) => `${v.id} (${v.impact})`);
  return { view, version: result.version, passes: result.passes, serious, minor };
}

/** Polls until the page's check passes (no fixed sleeps). */
export async function until(check: () => Promise<boolean> | boolean, message: string, timeout = 15_000): Promise<void> {
  await expect.poll(check, { timeout, message }).toBe(true);
}
