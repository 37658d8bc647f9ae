import type { SwaggerTransformObject } from '@fastify/swagger';
import { jsonSchemaTransformObject } from 'fastify-type-provider-zod';

const SCHEMA_REF = '#/components/schemas/';

type Components = { schemas?: Record<string, object> };

/**
 * The last pass over the OpenAPI document. fastify-type-provider-zod adds every schema named in the contract
 * (`SCHEMA_NAMES`) twice, as `<name>` for responses and `<name>Input` for request bodies; only the components the
 * document references, directly or through another component, are kept, in name order, so the document stays
 * small and byte-for-byte reproducible.
 */
export const openapiTransformObject: SwaggerTransformObject = (input) => {
  const document = jsonSchemaTransformObject(input);
  const components: Components = 'components' in document ? (document.components as Components) : {};
  const schemas = components.schemas ?? {};
  const used = new Set<string>();
  // Walks the document without the component list itself, then each component as it is found to be used.
  const pending: unknown[] = [{ ...document, components: { ...components, schemas: {} } }];
  for (let value = pending.pop(); value !== undefined || pending.length > 0; value = pending.pop()) {
    if (typeof value === 'string' && value.startsWith(SCHEMA_REF)) {
      const name = value.slice(SCHEMA_REF.length);
      if (!used.has(name)) {
        used.add(name);
        pending.push(schemas[name]);
      }
    } else if (typeof value === 'object' && value !== null) {
      pending.push(...Object.values(value as Record<string, unknown>));
    }
  }
  const kept = Object.entries(schemas)
    .filter(([name]) => used.has(name))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return { ...document, components: { ...components, schemas: Object.fromEntries(kept) } };
};
