import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

import { createHostAllowlist, normalizeHost } from '../../domain/hosts.js';
import { AppError } from '../../errors.js';
import type { AuditService } from '../../services/audit-service.js';
import { eventRequest } from '../request-facts.js';

export interface HostCheckOptions {
  /** Host names answered besides the loopback ones (`.name`: with its subdomains); null: any Host. */
  allowedHosts: readonly string[] | null;
  audit: AuditService;
}

/**
 * Refuses, with 421 before anything else runs, a request whose Host is not a name this server answers to. A web page
 * whose own name an attacker re-points at 127.0.0.1 (DNS rebinding) reaches a loopback server as same-origin; only
 * the Host it sends gives it away. Behind a trusted proxy the forwarded host must be allowed as well: the proxy may
 * set Host to its upstream address. A request without Host (HTTP/1.0) is not a browser's and passes.
 */
/** How many distinct refused host names get a warning of their own. */
const MAX_WARNED_HOSTS = 20;

export const hostCheckPlugin = fp(
  (app: FastifyInstance, options: HostCheckOptions) => {
    if (options.allowedHosts === null) {
      return;
    }
    const isAllowed = createHostAllowlist(options.allowedHosts);
    // The first refusals of each name are logged as warnings: behind a reverse proxy that passes its public Host, every
    // request is refused until that name is configured, and the operator should be told why. Bounded, since the names
    // come from clients.
    const warned = new Set<string>();
    const warnOnce = (host: string) => {
      if (warned.size < MAX_WARNED_HOSTS && !warned.has(host)) {
        warned.add(host);
        app.log.warn(
          { host },
          'refused a request for a host name this server does not answer to (421); if the name is yours, add it to CONTEXTPILOT_ALLOWED_HOSTS',
        );
      }
    };
    app.addHook('onRequest', (request, reply, done) => {
      const sent = request.headers.host;
      // X-Forwarded-Host when the proxy is trusted, otherwise Host again.
      const forwarded = request.host;
      for (const host of forwarded === sent ? [sent] : [sent, forwarded]) {
        if (host !== undefined && host !== '' && !isAllowed(host)) {
          options.audit.record({
            event: 'host_check',
            outcome: 'disallowed_host',
            request: eventRequest(request),
            details: { host: normalizeHost(host) ?? '<invalid>' },
          });
          warnOnce(normalizeHost(host) ?? '<invalid>');
          // The CORS hook does not run after this one; the answer still varies on Origin like every other.
          void reply.header('vary', 'Origin');
          done(
            new AppError({
              status: 421,
              message: 'Misdirected request: this server does not answer to that host name',
            }),
          );
          return;
        }
      }
      done();
    });
  },
  { name: 'host-check' },
);
