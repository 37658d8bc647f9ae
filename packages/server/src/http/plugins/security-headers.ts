import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

export interface SecurityHeadersOptions {
  enabled: boolean;
  hstsMaxAgeSeconds: number;
}

/** API responses: no inline anything, nothing framed, nothing cached. */
export const API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/**
 * The API docs page (Swagger UI): its scripts, styles and fonts come from this origin, none inline, and its requests
 * ("Try it out") go to this origin. Swagger UI's top bar draws a logo whose SVG carries an inline `<style>`, so the
 * docs use the layout without that bar (see `app.ts`) rather than allowing inline styles.
 */
export const DOCS_CSP =
  "default-src 'self'; script-src 'self'; script-src-attr 'none'; style-src 'self'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/** The fixed security headers (without CSP, cache policy and HSTS, which depend on the response and request). */
export const BASE_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'strict-origin-when-cross-origin',
  'permissions-policy': 'geolocation=(), microphone=(), camera=()',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

/**
 * Security headers on every response, errors included. HSTS only for HTTPS requests (`request.protocol` honours
 * X-Forwarded-Proto only when the proxy is trusted).
 */
export const securityHeadersPlugin = fp(
  (app: FastifyInstance, options: SecurityHeadersOptions) => {
    app.addHook('onSend', (request, reply, payload, done) => {
      if (options.enabled) {
        void reply.headers(BASE_SECURITY_HEADERS);
        if (!reply.hasHeader('content-security-policy')) {
          void reply.header('content-security-policy', API_CSP);
        }
        if (!reply.hasHeader('cache-control')) {
          void reply.header('cache-control', 'no-store');
        }
        if (request.protocol === 'https') {
          void reply.header('strict-transport-security', `max-age=${options.hstsMaxAgeSeconds}; includeSubDomains`);
        }
      }
      reply.removeHeader('x-powered-by');
      done(null, payload);
    });
  },
  { name: 'security-headers' },
);
