import { describe, expect, it } from 'vitest';

import { judgeStoredKey, type KeyFacts } from './key-rules.js';

const NOW = Date.parse('2026-12-07T12:00:00.000Z');
const key = (changes: Partial<KeyFacts> = {}): KeyFacts => ({
  id: 'k1',
  personId: 'p1',
  scopes: ['contexts:read', 'prompts'],
  expiresAt: null,
  revokedAt: null,
  previousValidUntil: null,
  allowedNetworks: [],
  ...changes,
});
const request = { nowMs: NOW, clientIp: '10.1.2.3', personDisabled: false };

describe('judgeStoredKey', () => {
  it('lets a current key in as its person, with its scopes', () => {
    const judged = judgeStoredKey(key(), 'current', request);
    expect(judged).toMatchObject({ valid: true, grace: false, principal: { keyId: 'k1', personId: 'p1' } });
    expect(judged.valid && [...judged.principal.scopes]).toEqual(['contexts:read', 'prompts']);
  });

  it('refuses revoked, expired and disabled, and a previous digest after its grace period', () => {
    expect(judgeStoredKey(key({ revokedAt: '2026-12-01T00:00:00.000Z' }), 'current', request)).toEqual({
      valid: false,
      refusal: 'revoked_used',
    });
    expect(judgeStoredKey(key({ expiresAt: '2026-12-07T12:00:00.000Z' }), 'current', request)).toEqual({
      valid: false,
      refusal: 'expired_key',
    });
    expect(judgeStoredKey(key({ expiresAt: '2026-12-07T12:00:01.000Z' }), 'current', request).valid).toBe(true);
    expect(judgeStoredKey(key({ previousValidUntil: '2026-12-07T11:59:59.000Z' }), 'previous', request)).toEqual({
      valid: false,
      refusal: 'grace_expired',
    });
    expect(judgeStoredKey(key({ previousValidUntil: null }), 'previous', request).valid).toBe(false);
    expect(judgeStoredKey(key(), 'current', { ...request, personDisabled: true })).toEqual({
      valid: false,
      refusal: 'person_disabled',
    });
  });

  it('marks a previous digest inside its grace period', () => {
    expect(judgeStoredKey(key({ previousValidUntil: '2026-12-07T12:05:00.000Z' }), 'previous', request)).toMatchObject({
      valid: true,
      grace: true,
    });
  });

  it('refuses a client outside the key’s networks', () => {
    const limited = key({ allowedNetworks: ['192.168.0.0/16', '2001:db8::/32'] });
    expect(judgeStoredKey(limited, 'current', request)).toEqual({ valid: false, refusal: 'network_refused' });
    expect(judgeStoredKey(limited, 'current', { ...request, clientIp: '192.168.4.4' }).valid).toBe(true);
    expect(judgeStoredKey(limited, 'current', { ...request, clientIp: '::ffff:192.168.4.4' }).valid).toBe(true);
  });

  it('grants no scope it does not know', () => {
    const judged = judgeStoredKey(key({ scopes: ['contexts:read', 'root', 'ADMIN'] }), 'current', request);
    expect(judged.valid && [...judged.principal.scopes]).toEqual(['contexts:read']);
  });
});
