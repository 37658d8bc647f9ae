import { hasScope, missingScopeMessage, type Scope } from '@contextpilot/contract/scopes';

import { generateApiKey, hashApiKey, keyFingerprint } from '../domain/api-key.js';
import { invalidNetworks } from '../domain/networks.js';
import type { Principal } from '../domain/principal.js';
import { toTimestamp, type Clock } from '../domain/types.js';
import { AppError, badRequest, notFound } from '../errors.js';
import type { ApiKeyStore, PeopleStore, StoredApiKey } from '../storage/store.js';
import { keyActor, type EventRequest } from './audit-events.js';
import type { AuditService } from './audit-service.js';

/** Name of the person the single-key owner acts as once keys are stored (the first person, made on first need). */
export const OWNER_NAME = 'Owner';
/** Random bytes of a new key (256 bits), behind the `cp_` prefix that secret scanners can look for. */
const KEY_BYTES = 32;

export interface NewKeyRequest {
  name: string;
  personId?: string | undefined;
  scopes: readonly Scope[];
  expiresAt?: string | null | undefined;
  allowedNetworks?: readonly string[] | undefined;
}

/** Who asks, as the audit log names them. */
export interface Caller {
  principal: Principal;
  request?: EventRequest | undefined;
  keyFingerprint?: string | undefined;
}

const forbidden = (message: string) => new AppError({ status: 403, message });

/**
 * Stored API keys: create, list, revoke, rotate. A key manages the keys of its own person and grants only scopes it
 * holds; an `admin` key manages everyone's. Another person's key is "not found" to a non-admin, as a missing one is.
 * The key itself is returned once, at creation or rotation; only its SHA-256 is stored.
 */
export function createKeyAdmin(deps: {
  keys: ApiKeyStore;
  people: PeopleStore;
  clock: Clock;
  audit: Pick<AuditService, 'record'>;
  /** Keys are checked at all; without that a new key would protect nothing, so creating one is refused. */
  authEnabled: boolean;
}) {
  const now = () => deps.clock.now();
  const refuseWithoutAuth = () => {
    if (!deps.authEnabled) {
      throw badRequest('Enable authentication before creating API keys');
    }
  };
  const isAdmin = (caller: Caller) => hasScope(caller.principal.scopes, 'admin');

  /** The caller's person: its key's, or the first person for the single-key owner. */
  async function personOf(caller: Caller): Promise<string> {
    return caller.principal.personId ?? (await deps.people.ensureFirst(OWNER_NAME, toTimestamp(now()))).id;
  }

  /** A key the caller may manage; 404 for a missing one and, unless admin, for another person's. */
  async function manageable(caller: Caller, id: string): Promise<StoredApiKey> {
    const key = await deps.keys.get(id);
    if (key === null || (!isAdmin(caller) && key.personId !== (await personOf(caller)))) {
      throw notFound(`API key ${id} not found`);
    }
    return key;
  }

  function record(caller: Caller, outcome: 'created' | 'revoked' | 'rotated', key: StoredApiKey, extra = {}): void {
    deps.audit.record({
      event: 'api_key_management',
      outcome,
      request: caller.request,
      actor: keyActor(caller.keyFingerprint),
      details: { key_id: key.id, person_id: key.personId, scopes: key.scopes, ...extra },
    });
  }

  const newKey = () => `cp_${generateApiKey(KEY_BYTES)}`;

  return {
    async create(caller: Caller, input: NewKeyRequest): Promise<{ key: string; stored: StoredApiKey }> {
      refuseWithoutAuth();
      const own = await personOf(caller);
      const personId = input.personId ?? own;
      if (personId !== own && !isAdmin(caller)) {
        throw forbidden("Only an admin key can create another person's keys");
      }
      for (const scope of input.scopes) {
        if (!hasScope(caller.principal.scopes, scope)) {
          throw forbidden(`${missingScopeMessage(scope)}: a key cannot grant what it does not hold`);
        }
      }
      const networks = [...new Set(input.allowedNetworks ?? [])];
      const invalid = invalidNetworks(networks);
      if (invalid.length > 0) {
        throw badRequest(`Not a network (CIDR) or address: ${invalid.map((n) => JSON.stringify(n)).join(', ')}`);
      }
      let expiresAt: string | null = null;
      if (input.expiresAt !== undefined && input.expiresAt !== null) {
        const ms = Date.parse(input.expiresAt);
        if (Number.isNaN(ms) || !/^\d{4}-\d{2}-\d{2}T/.test(input.expiresAt)) {
          throw badRequest('expires_at must be an RFC 3339 date and time, e.g. 2027-01-31T00:00:00Z');
        }
        if (ms <= now().getTime()) {
          throw badRequest('expires_at must be in the future');
        }
        expiresAt = toTimestamp(new Date(ms));
      }
      const person = await deps.people.get(personId);
      if (person === null) {
        throw notFound(`Person ${personId} not found`);
      }
      if (person.disabled) {
        throw badRequest(`Person ${personId} is disabled`);
      }
      const key = newKey();
      const stored = await deps.keys.create({
        personId,
        name: input.name,
        scopes: [...new Set(input.scopes)],
        digest: hashApiKey(key),
        createdAt: toTimestamp(now()),
        expiresAt,
        allowedNetworks: networks,
      });
      record(caller, 'created', stored, { new_key: keyFingerprint(key) });
      return { key, stored };
    },

    /** Every key (admin), else the caller's person's; revoked ones too. */
    async list(caller: Caller): Promise<StoredApiKey[]> {
      return deps.keys.list(isAdmin(caller) ? {} : { personId: await personOf(caller) });
    },

    /** Revokes a key (kept, so that a later use is logged as `revoked_used`); effective on every instance. */
    async revoke(caller: Caller, id: string): Promise<void> {
      const key = await manageable(caller, id);
      await deps.keys.revoke(key.id, toTimestamp(now()));
      record(caller, 'revoked', key);
    },

    /** A new key for the same grants; the old one keeps working for `graceSeconds` (0: stops at once). */
    async rotate(caller: Caller, id: string, graceSeconds: number): Promise<{ key: string; stored: StoredApiKey }> {
      refuseWithoutAuth();
      const current = await manageable(caller, id);
      if (current.revokedAt !== null) {
        throw badRequest(`API key ${id} is revoked`);
      }
      const key = newKey();
      const previousValidUntil = toTimestamp(new Date(now().getTime() + graceSeconds * 1000));
      const stored = await deps.keys.rotate(current.id, { digest: hashApiKey(key), previousValidUntil });
      if (stored === null) {
        throw notFound(`API key ${id} not found`);
      }
      record(caller, 'rotated', stored, { new_key: keyFingerprint(key), previous_valid_until: previousValidUntil });
      return { key, stored };
    },
  };
}
export type KeyAdmin = ReturnType<typeof createKeyAdmin>;
