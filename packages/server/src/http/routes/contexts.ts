import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';

import {
  ContextIdParams,
  ContextUnit,
  ContextUnitCreate,
  ContextUnitUpdate,
  ErrorEnvelope,
  ExportQuery,
  ImportQuery,
  ImportResult,
  ListContextsQuery,
  Stats,
  SupersedeRequest,
} from '@contextpilot/contract';

import { badRequest } from '../../errors.js';
import type { ContextService } from '../../services/context-service.js';
import type { SearchService } from '../../services/search-service.js';
import { abortOnClose } from '../abort-on-close.js';
import { routeBudget } from '../plugins/rate-limit.js';
import { toListInput, toPatch } from '../requests.js';
import { presentContext, presentImport, presentStats } from '../present/contexts.js';

const errors = { 400: ErrorEnvelope, 404: ErrorEnvelope, 413: ErrorEnvelope, 422: ErrorEnvelope };

/** Creates per minute per client IP: `POST /contexts`, a supersede, and the MCP tools that create a unit. */
export const CREATE_BUDGET = routeBudget('POST', '/contexts', 100);

/** `GET /stats`, after the vector index has caught up with the store. */
export async function readStats(
  contexts: ContextService,
  search: Pick<SearchService, 'indexedUnits' | 'sync'>,
): Promise<Stats> {
  const [counts] = await Promise.all([contexts.counts(), search.sync()]);
  return presentStats(counts, { indexedUnits: search.indexedUnits, model: contexts.model });
}

/** Context units: CRUD, filters, import/export and stats (API v1). */
export function contextRoutes(
  app: FastifyInstance,
  options: { contexts: ContextService; search: Pick<SearchService, 'indexedUnits' | 'sync'>; maxImportBytes: number },
): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { contexts } = options;

  r.post(
    '/contexts',
    {
      config: { scope: 'contexts:write', rateLimit: CREATE_BUDGET },
      schema: {
        tags: ['contexts'],
        summary: 'Create a context unit',
        body: ContextUnitCreate,
        response: { 201: ContextUnit, ...errors },
      },
    },
    async (request, reply) => {
      const unit = await contexts.create(request.body, abortOnClose(reply));
      return reply.code(201).send(presentContext(unit));
    },
  );

  r.get(
    '/contexts',
    {
      config: { scope: 'contexts:read' },
      schema: {
        tags: ['contexts'],
        summary: 'List context units (a bare array, in insertion order)',
        querystring: ListContextsQuery,
        response: { 200: z.array(ContextUnit), ...errors },
      },
    },
    async (request) => {
      const units = await contexts.list(toListInput(request.query));
      return units.map(presentContext);
    },
  );

  r.get(
    '/contexts/export',
    {
      config: { scope: 'contexts:read' },
      schema: {
        tags: ['contexts'],
        summary: 'Export every unit (superseded included) as JSON or CSV',
        querystring: ExportQuery,
      },
    },
    async (request, reply) => {
      const file = await contexts.export(request.query.format);
      // A Buffer keeps the content type exactly as set (v1: `application/json`, no charset); Fastify appends
      // `; charset=utf-8` to a string body.
      return reply
        .header('content-type', file.contentType)
        .header('content-disposition', `attachment; filename=${file.filename}`)
        .send(Buffer.from(file.body, 'utf8'));
    },
  );

  r.post(
    '/contexts/import',
    {
      config: { scope: 'contexts:write', bodyLimit: options.maxImportBytes + 64 * 1024 },
      schema: {
        tags: ['contexts'],
        summary: 'Import a JSON or CSV export (multipart field `file`)',
        description:
          'Items are validated and sanitized like a create; bad items are skipped and reported, good ones are written in one transaction. Ids, times, status and links are kept; an existing id is overwritten. `replace_existing=true` deletes every other unit in the same transaction.',
        querystring: ImportQuery,
        consumes: ['multipart/form-data'],
        response: { 200: ImportResult, ...errors },
      },
    },
    async (request) => {
      const form = request.body;
      if (!(form instanceof FormData)) {
        throw badRequest('Send the file as multipart/form-data in a field named "file"');
      }
      const file = form.get('file');
      if (file === null || typeof file === 'string') {
        throw badRequest('Send the file as multipart/form-data in a field named "file"');
      }
      const bytes = new Uint8Array(await file.arrayBuffer());
      const outcome = await contexts.import({ filename: file.name, bytes }, request.query.replace_existing);
      return presentImport(outcome);
    },
  );

  r.get(
    '/contexts/:context_id',
    {
      config: { scope: 'contexts:read' },
      schema: {
        tags: ['contexts'],
        summary: 'Get one unit',
        params: ContextIdParams,
        response: { 200: ContextUnit, ...errors },
      },
    },
    async (request) => presentContext(await contexts.get(request.params.context_id)),
  );

  r.put(
    '/contexts/:context_id',
    {
      config: { scope: 'contexts:write' },
      schema: {
        tags: ['contexts'],
        summary: 'Update a unit (only the fields present are changed; `superseded_by: null` clears the link)',
        params: ContextIdParams,
        body: ContextUnitUpdate,
        response: { 200: ContextUnit, ...errors },
      },
    },
    async (request, reply) =>
      presentContext(await contexts.update(request.params.context_id, toPatch(request.body), abortOnClose(reply))),
  );

  r.post(
    '/contexts/:context_id/supersede',
    {
      config: { scope: 'contexts:write', rateLimit: CREATE_BUDGET },
      schema: {
        tags: ['contexts'],
        summary: 'Replace an active unit with a new one',
        description:
          'Creates a unit (fields left out are taken from the old unit) and marks the old one `superseded` with `superseded_by` set to the new id, in one transaction. 404 for an unknown id, 409 when the unit is already superseded.',
        params: ContextIdParams,
        body: SupersedeRequest,
        response: { 201: ContextUnit, 409: ErrorEnvelope, ...errors },
      },
    },
    async (request, reply) => {
      const unit = await contexts.supersede(request.params.context_id, request.body, abortOnClose(reply));
      return reply.code(201).send(presentContext(unit));
    },
  );

  r.delete(
    '/contexts/:context_id',
    {
      config: { scope: 'contexts:write' },
      schema: {
        tags: ['contexts'],
        summary: 'Delete a unit',
        params: ContextIdParams,
        response: { 204: z.null().describe('No content'), 404: ErrorEnvelope },
      },
    },
    async (request, reply) => {
      await contexts.delete(request.params.context_id);
      return reply.code(204).send(null);
    },
  );

  r.get(
    '/stats',
    {
      config: { scope: 'contexts:read' },
      schema: { tags: ['contexts'], summary: 'Counts of units', response: { 200: Stats } },
    },
    () => readStats(contexts, options.search),
  );
}
