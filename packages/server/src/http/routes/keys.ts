import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';

import {
  ApiKeyCreate,
  ApiKeyCreated,
  ApiKeyIdParams,
  ApiKeyList,
  ApiKeyRotate,
  ErrorEnvelope,
} from '@contextpilot/contract';

import { OWNER_PRINCIPAL } from '../../domain/principal.js';
import type { Caller, KeyAdmin } from '../../services/key-admin.js';
import { presentApiKey, presentNewApiKey } from '../present/security.js';
import { eventRequest } from '../request-facts.js';

const errors = { 400: ErrorEnvelope, 401: ErrorEnvelope, 403: ErrorEnvelope, 404: ErrorEnvelope, 422: ErrorEnvelope };

function callerOf(request: FastifyRequest): Caller {
  return {
    principal: request.principal ?? OWNER_PRINCIPAL,
    request: eventRequest(request),
    keyFingerprint: request.keyFingerprint,
  };
}

/**
 * Stored API keys, each with its person and scopes. Any valid key may call these (`any-key`): the service limits a
 * key to its own person's keys and to scopes it holds; an admin key manages everyone's.
 */
export function keyRoutes(app: FastifyInstance, options: { admin: KeyAdmin }): void {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.post(
    '/security/keys',
    {
      config: { scope: 'any-key', rateLimit: 20 },
      schema: {
        tags: ['security'],
        summary: 'Create an API key',
        description:
          'Returns the key once (store it now); only its SHA-256 is kept. `person_id` defaults to the caller’s person; only an admin key may name another. A key grants only scopes the calling key holds.',
        body: ApiKeyCreate,
        response: { 201: ApiKeyCreated, ...errors },
      },
    },
    async (request, reply) => {
      const { name, person_id, scopes, expires_at, allowed_networks } = request.body;
      const made = await options.admin.create(callerOf(request), {
        name,
        personId: person_id,
        scopes,
        expiresAt: expires_at,
        allowedNetworks: allowed_networks,
      });
      return reply.code(201).header('cache-control', 'no-store').send(presentNewApiKey(made));
    },
  );

  r.get(
    '/security/keys',
    {
      config: { scope: 'any-key', rateLimit: 60 },
      schema: {
        tags: ['security'],
        summary: 'List API keys',
        description: 'An admin key sees every key; any other key its own person’s. Revoked keys are listed too.',
        response: { 200: ApiKeyList, 401: ErrorEnvelope },
      },
    },
    async (request) => ({ keys: (await options.admin.list(callerOf(request))).map(presentApiKey) }),
  );

  r.delete(
    '/security/keys/:key_id',
    {
      config: { scope: 'any-key', rateLimit: 20 },
      schema: {
        tags: ['security'],
        summary: 'Revoke an API key',
        description: 'At once, on every instance sharing the database; a later use is logged as `revoked_used`.',
        params: ApiKeyIdParams,
        response: { 204: z.null().describe('No content'), ...errors },
      },
    },
    async (request, reply) => {
      await options.admin.revoke(callerOf(request), request.params.key_id);
      return reply.code(204).send(null);
    },
  );

  r.post(
    '/security/keys/:key_id/rotate',
    {
      config: { scope: 'any-key', rateLimit: 20 },
      schema: {
        tags: ['security'],
        summary: 'Rotate an API key',
        description:
          'Returns a new key once, with the same grants. The previous key keeps working for `grace_seconds` (default 0), each use logged as `grace_used`.',
        params: ApiKeyIdParams,
        body: ApiKeyRotate.optional(),
        response: { 200: ApiKeyCreated, ...errors },
      },
    },
    async (request, reply) => {
      const made = await options.admin.rotate(
        callerOf(request),
        request.params.key_id,
        request.body?.grace_seconds ?? 0,
      );
      return reply.header('cache-control', 'no-store').send(presentNewApiKey(made));
    },
  );
}
