import { createHmac } from 'node:crypto';

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { bodyHash, computeSignature, signingPayload, verifySignature } from './signing.js';

const NOW = 1_700_000_000;
const enc = (s: string) => Buffer.from(s, 'utf8');

/** Known-answer vectors: signatures computed independently (with openssl) for fixed inputs. */
const VECTORS = [
  {
    name: 'v1 JSON POST',
    secret: 'test-signing-secret',
    method: 'POST',
    target: '/contexts',
    body: '{"type":"fact","content":"x"}',
    bodyHash: '77382db857944a6c3d6ed781a48bd3066779009404458ec3531b90a0f894638b',
    signature: '5545d6c0e0c1ca78ea3071b1530b8031e73da73360ff1ae57e6827124236dc19',
  },
  {
    name: 'v1 empty DELETE',
    secret: 'test-signing-secret',
    method: 'DELETE',
    target: '/contexts/abc',
    body: '',
    bodyHash: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    signature: 'f4d92a37a45fffac7896ff4018971ef87242d340e2f54ed4fd357411155fcb9a',
  },
  {
    name: 'SIG-01 JSON POST',
    secret: 'test-signing-secret-0123456789abcdef',
    method: 'POST',
    target: '/notes',
    body: '{"content":"hello","tags":["a"]}',
    bodyHash: 'e08589d76840428b716709cc0b414195411c6cd0957ea28ccbbd1e29b5042003',
    signature: '624d10b98a6b845fb0a09c02c9ad785a9e87e08c6b2d148b705b383d533f38e0',
  },
  {
    name: 'SIG-01 empty DELETE',
    secret: 'test-signing-secret-0123456789abcdef',
    method: 'DELETE',
    target: '/notes/42',
    body: '',
    bodyHash: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    signature: '1b2fdca16ef894203f19465fb795f1adcaa969d2bca3a91d7ce72631d7220e50',
  },
] as const;

type Input = Parameters<typeof verifySignature>[0];

function inputFor(v: (typeof VECTORS)[number], changes: Partial<Input> = {}): Input {
  return {
    secret: v.secret,
    method: v.method,
    target: v.target,
    body: enc(v.body),
    timestampHeader: String(NOW),
    signatureHeader: v.signature,
    nowSeconds: NOW,
    maxAgeSeconds: 300,
    ...changes,
  };
}

describe('signing known-answer vectors', () => {
  it.each(VECTORS)('$name: payload, body hash and signature', (v) => {
    expect(bodyHash(enc(v.body))).toBe(v.bodyHash);
    expect(signingPayload(v.method, v.target, String(NOW), enc(v.body))).toBe(
      `${v.method}\n${v.target}\n${NOW}\n${v.bodyHash}`,
    );
    expect(computeSignature(v.secret, v.method, v.target, String(NOW), enc(v.body))).toBe(v.signature);
    expect(verifySignature(inputFor(v))).toEqual({ ok: true });
  });

  it.each(VECTORS)(
    '$name: changing any single byte of method, path, timestamp, body, signature or secret fails',
    (v) => {
      const flip = (s: string, i: number) => s.slice(0, i) + String.fromCharCode(s.charCodeAt(i) ^ 1) + s.slice(i + 1);
      const bad: Partial<Input>[] = [];
      for (let i = 0; i < v.method.length; i++) {
        bad.push({ method: flip(v.method, i) });
      }
      for (let i = 0; i < v.target.length; i++) {
        bad.push({ target: flip(v.target, i) });
      }
      bad.push({ target: `${v.target}/` }, { target: `${v.target}?x=1` }, { target: v.target.toUpperCase() });
      bad.push({ timestampHeader: String(NOW + 1), nowSeconds: NOW }, { timestampHeader: String(NOW - 1) });
      const body = enc(v.body);
      for (let i = 0; i < body.length; i++) {
        const copy = Buffer.from(body);
        copy[i] = copy[i]! ^ 1;
        bad.push({ body: copy });
      }
      bad.push({ body: enc(`${v.body} `) }, { body: enc(`${v.body}\n`) });
      for (let i = 0; i < 64; i++) {
        const c = v.signature[i]!;
        const other = c === '0' ? '1' : '0';
        bad.push({ signatureHeader: v.signature.slice(0, i) + other + v.signature.slice(i + 1) });
      }
      bad.push({ secret: `${v.secret}x` }, { secret: v.secret.slice(1) });
      for (const change of bad) {
        const result = verifySignature(inputFor(v, change));
        expect(result.ok, JSON.stringify(change)).toBe(false);
      }
    },
  );

  it('the method is upper-cased before signing', () => {
    const v = VECTORS[1];
    expect(verifySignature(inputFor(v, { method: 'delete' }))).toEqual({ ok: true });
  });
});

describe('signature window (both directions)', () => {
  const v = VECTORS[0];
  it.each([0, 1, 299, 300, -1, -299, -300])('accepts a timestamp %i s from now', (offset) => {
    // The signature is over the timestamp as sent, so sign for that timestamp.
    const ts = String(NOW + offset);
    const signatureHeader = computeSignature(v.secret, v.method, v.target, ts, enc(v.body));
    expect(verifySignature(inputFor(v, { timestampHeader: ts, signatureHeader }))).toEqual({ ok: true });
  });

  it.each([301, -301, 3600, -3600, -NOW])('refuses a timestamp %i s from now as invalid_timestamp', (offset) => {
    const ts = String(NOW + offset);
    const signatureHeader = computeSignature(v.secret, v.method, v.target, ts, enc(v.body));
    expect(verifySignature(inputFor(v, { timestampHeader: ts, signatureHeader }))).toMatchObject({
      ok: false,
      outcome: 'invalid_timestamp',
    });
  });

  it('honours another max age', () => {
    const ts = String(NOW - 30);
    const signatureHeader = computeSignature(v.secret, v.method, v.target, ts, enc(v.body));
    expect(verifySignature(inputFor(v, { timestampHeader: ts, signatureHeader, maxAgeSeconds: 30 })).ok).toBe(true);
    expect(verifySignature(inputFor(v, { timestampHeader: ts, signatureHeader, maxAgeSeconds: 29 })).ok).toBe(false);
  });
});

describe('malformed headers (SIG-03, SIG-04, SIG-05)', () => {
  const v = VECTORS[0];

  it('missing or empty headers are missing_headers', () => {
    for (const change of [
      { timestampHeader: undefined },
      { signatureHeader: undefined },
      { timestampHeader: undefined, signatureHeader: undefined },
      { signatureHeader: '' },
      { timestampHeader: '' },
    ]) {
      expect(verifySignature(inputFor(v, change))).toEqual({
        ok: false,
        outcome: 'missing_headers',
        message: 'Missing request signature headers',
      });
    }
  });

  it.each([
    '1e9',
    ' 1700000000',
    '1700000000 ',
    '+1700000000',
    '-5',
    '-1700000000',
    '0x6553F100',
    '1700000000.5',
    '1700000000.0',
    '1700000000000',
    'NaN',
    'Infinity',
    '1700000000, 1700000000',
    '١٧٠٠٠٠٠٠٠٠',
    '1700000000\n',
    '00000000001700000000',
  ])('timestamp %j is invalid_timestamp', (ts) => {
    // Even with a signature computed over exactly that string.
    const signatureHeader = computeSignature(v.secret, v.method, v.target, ts, enc(v.body));
    expect(verifySignature(inputFor(v, { timestampHeader: ts, signatureHeader }))).toEqual({
      ok: false,
      outcome: 'invalid_timestamp',
      message: 'Request signature timestamp is invalid or expired',
    });
  });

  it.each([
    ['63 characters', v.signature.slice(0, 63)],
    ['65 characters', `${v.signature}0`],
    ['non-hex', `${v.signature.slice(0, 63)}g`],
    ['sha256= prefix', `sha256=${v.signature}`],
    ['v1= prefix', `v1=${v.signature}`],
    ['duplicated header', `${v.signature}, ${v.signature}`],
    ['surrounding space', ` ${v.signature}`],
    ['base64', Buffer.from(v.signature, 'hex').toString('base64')],
    ['non-ASCII', `${v.signature.slice(0, 63)}é`],
    ['all zero', '0'.repeat(64)],
  ])('signature with %s is invalid_signature', (_name, sig) => {
    expect(verifySignature(inputFor(v, { signatureHeader: sig }))).toEqual({
      ok: false,
      outcome: 'invalid_signature',
      message: 'Invalid request signature',
    });
  });

  it('upper-case hex is accepted after decoding (the bytes are compared)', () => {
    expect(verifySignature(inputFor(v, { signatureHeader: v.signature.toUpperCase() }))).toEqual({ ok: true });
  });

  it('never throws for arbitrary header strings', () => {
    fc.assert(
      fc.property(fc.option(fc.string({ maxLength: 100 })), fc.option(fc.string({ maxLength: 100 })), (ts, sig) => {
        const result = verifySignature(
          inputFor(v, { timestampHeader: ts ?? undefined, signatureHeader: sig ?? undefined }),
        );
        expect(result.ok).toBe(false);
      }),
      { numRuns: 500 },
    );
  });
});

describe('properties', () => {
  it('a signature computed with node:crypto over the canonical payload verifies, and only for its own request', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('POST', 'PUT', 'DELETE', 'PATCH'),
        fc.webPath(),
        fc.option(fc.webQueryParameters(), { nil: undefined }),
        fc.uint8Array({ maxLength: 300 }),
        fc.string({ minLength: 1, maxLength: 64 }),
        fc.integer({ min: -300, max: 300 }),
        (method, path, query, body, secret, offset) => {
          const target = `${path || '/'}${query === undefined ? '' : `?${query}`}`;
          const ts = String(NOW + offset);
          const payload = `${method}\n${target}\n${ts}\n${bodyHash(body)}`;
          const sig = createHmac('sha256', secret).update(payload).digest('hex');
          expect(computeSignature(secret, method, target, ts, body)).toBe(sig);
          const base: Input = {
            secret,
            method,
            target,
            body,
            timestampHeader: ts,
            signatureHeader: sig,
            nowSeconds: NOW,
            maxAgeSeconds: 300,
          };
          expect(verifySignature(base)).toEqual({ ok: true });
          expect(verifySignature({ ...base, target: `${target}x` }).ok).toBe(false);
          expect(verifySignature({ ...base, body: Buffer.concat([body, Buffer.from([0])]) }).ok).toBe(false);
          expect(verifySignature({ ...base, method: method === 'POST' ? 'PUT' : 'POST' }).ok).toBe(false);
        },
      ),
      { numRuns: 200 },
    );
  });
});
