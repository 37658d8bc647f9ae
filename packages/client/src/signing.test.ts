import { createHmac } from 'node:crypto';

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { sha256Hex, signatureHeaders, signingPayload, signRequest } from './signing.js';

const secret = 'test-signing-secret';

describe('request signing', () => {
  it('matches the v1 known-answer vector for a JSON POST', async () => {
    const body = '{"type":"fact","content":"x"}';
    expect(await sha256Hex(body)).toBe('77382db857944a6c3d6ed781a48bd3066779009404458ec3531b90a0f894638b');
    expect(
      await signRequest({ secret, method: 'POST', pathWithQuery: '/contexts', timestamp: '1700000000', body }),
    ).toBe('5545d6c0e0c1ca78ea3071b1530b8031e73da73360ff1ae57e6827124236dc19');
  });

  it('matches the v1 known-answer vector for an empty DELETE', async () => {
    expect(
      await signRequest({ secret, method: 'delete', pathWithQuery: '/contexts/abc', timestamp: '1700000000' }),
    ).toBe('f4d92a37a45fffac7896ff4018971ef87242d340e2f54ed4fd357411155fcb9a');
  });

  it('agrees with node:crypto for any request', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('GET', 'POST', 'PUT', 'DELETE'),
        fc.string({ minLength: 1 }).map((s) => `/${encodeURIComponent(s)}`),
        fc.uint8Array({ maxLength: 256 }),
        fc.string({ minLength: 1 }),
        async (method, path, body, key) => {
          const payload = await signingPayload(method, path, '1700000000', body);
          const expected = createHmac('sha256', key).update(payload).digest('hex');
          expect(await signRequest({ secret: key, method, pathWithQuery: path, timestamp: '1700000000', body })).toBe(
            expected,
          );
        },
      ),
      { numRuns: 50 },
    );
  });

  it('produces integer-second timestamps', async () => {
    const headers = await signatureHeaders({
      secret,
      method: 'POST',
      pathWithQuery: '/x',
      now: () => 1_700_000_000_999,
    });
    expect(headers['X-Request-Timestamp']).toBe('1700000000');
    expect(headers['X-Request-Signature']).toMatch(/^[0-9a-f]{64}$/);
  });
});
