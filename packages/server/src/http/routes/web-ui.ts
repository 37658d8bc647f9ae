import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

import { publicPluginContext } from '../plugins/scope-check.js';

/**
 * CSP of the web UI: scripts and styles only from this origin (no inline scripts), API calls to this origin only,
 * nothing may frame the UI, and no `<base>` element may redirect its relative URLs.
 */
export const UI_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/** The built web UI (`packages/web/dist`), or null when it has not been built. */
export function loadWebUi(dir: string): { dir: string; indexHtml: string } | null {
  const index = join(dir, 'index.html');
  return existsSync(index) ? { dir, indexHtml: readFileSync(index, 'utf8') } : null;
}

/** True when the client asks for a page rather than JSON (a browser navigating to `/`). */
export function wantsHtml(accept: string | undefined): boolean {
  return accept !== undefined && accept.includes('text/html');
}

/** Static assets of the web UI under `/assets/` (hashed file names, cached for a year). */
export async function webUiAssets(app: FastifyInstance, options: { dir: string }): Promise<void> {
  const assets = join(options.dir, 'assets');
  if (existsSync(assets)) {
    await publicPluginContext(app, (files) =>
      files.register(fastifyStatic, {
        root: assets,
        prefix: '/assets/',
        decorateReply: false,
        index: false,
        setHeaders: (reply) => {
          void reply.header('cache-control', 'public, max-age=31536000, immutable');
          void reply.header('content-security-policy', UI_CSP);
        },
      }),
    );
  }
  for (const file of ['favicon.svg', 'favicon.ico', 'robots.txt']) {
    const path = join(options.dir, file);
    if (existsSync(path)) {
      const body = readFileSync(path);
      const type = file.endsWith('.svg') ? 'image/svg+xml' : file.endsWith('.ico') ? 'image/x-icon' : 'text/plain';
      app.get(`/${file}`, { config: { scope: 'public' }, schema: { hide: true } }, (_request, reply) =>
        reply.type(type).header('cache-control', 'public, max-age=86400').send(body),
      );
    }
  }
}
