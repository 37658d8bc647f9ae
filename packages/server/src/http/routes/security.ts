import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';

import { ErrorEnvelope, RotateKeyResponse, SecurityEventList, SecurityEventsQuery } from '@contextpilot/contract';

import type { AuditService } from '../../services/audit-service.js';
import type { KeyService } from '../../services/key-service.js';
import { presentRotation, presentSecurityEvents } from '../present/security.js';
import { eventRequest } from '../request-facts.js';

/** Key rotation and the audit log (API v1). */
export function securityRoutes(app: FastifyInstance, options: { keys: KeyService; audit: AuditService }): void {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.post(
    '/security/api-key/rotate',
    {
      config: { scope: 'admin', rateLimit: 5 },
      schema: {
        tags: ['security'],
        summary: 'Replace the API key',
        description:
          'Returns the new key once (store it now). Only its SHA-256 hash is kept; the previous key, and any key set in the environment, stop working on every instance sharing the database.',
        response: { 200: RotateKeyResponse, 400: ErrorEnvelope, 401: ErrorEnvelope, 429: ErrorEnvelope },
      },
    },
    async (request, reply) => {
      const rotated = await options.keys.rotate({
        request: eventRequest(request),
        keyFingerprint: request.keyFingerprint,
      });
      return reply.header('cache-control', 'no-store').send(presentRotation(rotated));
    },
  );

  r.get(
    '/security/events',
    {
      config: { scope: 'audit:read', rateLimit: 30 },
      schema: {
        tags: ['security'],
        summary: 'The security audit log, newest first',
        description:
          'Failures, writes, key rotations and requests to /security/ have a row each. Successful key checks of reads are summarized per key, client IP, method and path (CONTEXTPILOT_SECURITY_EVENT_AGGREGATE_SECONDS): the row is the first request, and details.requests, details.last_request_id and details.last_at tell how many followed. The serving instance writes its open summaries before the list is read.',
        querystring: SecurityEventsQuery,
        response: { 200: SecurityEventList, 422: ErrorEnvelope },
      },
    },
    async (request) => {
      const limit = Math.max(1, Math.min(request.query.limit, 200));
      const offset = Math.max(0, request.query.offset);
      const events = await options.audit.list({
        limit,
        offset,
        event: request.query.event || undefined,
        outcome: request.query.outcome || undefined,
        requestId: request.query.request_id || undefined,
      });
      return presentSecurityEvents(events, { limit, offset });
    },
  );
}
