import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import {
  createHostAllowlist,
  crossOriginRefusal,
  isLoopbackAddress,
  normalizeOrigin,
  originOf,
  parseHost,
  parseHostPattern,
} from './hosts.js';

describe('parseHost', () => {
  it.each([
    ['localhost', { name: 'localhost', port: null }],
    ['LocalHost:8000', { name: 'localhost', port: 8000 }],
    ['127.0.0.1:80', { name: '127.0.0.1', port: 80 }],
    ['[::1]:8000', { name: '[::1]', port: 8000 }],
    ['notes.example.com.', { name: 'notes.example.com', port: null }],
    ['my_service:3000', { name: 'my_service', port: 3000 }],
  ])('reads %s', (value, expected) => {
    expect(parseHost(value)).toEqual(expected);
  });

  it.each([
    '',
    '.',
    'a..b',
    '.example.com',
    'a b',
    'a/b',
    'a:',
    'a:99999',
    'a:1:2',
    '::1',
    'user@host',
    'x'.repeat(301),
  ])('refuses %j', (value) => {
    expect(parseHost(value)).toBeNull();
  });
});

describe('isLoopbackAddress', () => {
  it.each(['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost', 'LOCALHOST', 'app.localhost'])(
    '%s is loopback',
    (address) => {
      expect(isLoopbackAddress(address)).toBe(true);
    },
  );

  it.each(['0.0.0.0', '::', '192.168.1.10', '127.0.0.256', '10.127.0.1', 'localhost.example.com', 'example.com'])(
    '%s is not',
    (address) => {
      expect(isLoopbackAddress(address)).toBe(false);
    },
  );
});

describe('parseHostPattern', () => {
  it('takes names, subdomain wildcards and IP addresses', () => {
    expect(parseHostPattern('Notes.Example.com')).toEqual({ name: 'notes.example.com', subdomains: false });
    expect(parseHostPattern('.example.org')).toEqual({ name: 'example.org', subdomains: true });
    expect(parseHostPattern('192.168.1.10')).toEqual({ name: '192.168.1.10', subdomains: false });
    expect(parseHostPattern('[fd00::1]')).toEqual({ name: '[fd00::1]', subdomains: false });
  });

  it.each(['https://notes.example.com', 'notes.example.com:8443', '', '.', '..example.com', '*', 'a b'])(
    'refuses %j',
    (entry) => {
      expect(parseHostPattern(entry)).toBeNull();
    },
  );
});

describe('createHostAllowlist', () => {
  const allowed = createHostAllowlist(['notes.example.com', '.example.org']);

  it.each([
    'localhost',
    'localhost:8000',
    'app.localhost:5173',
    '127.0.0.1',
    '127.0.0.1:8000',
    '127.9.9.9:1',
    '[::1]:8000',
    'notes.example.com',
    'NOTES.example.com:443',
    'example.org',
    'a.b.example.org:8080',
  ])('accepts %s', (host) => {
    expect(allowed(host)).toBe(true);
  });

  it.each([
    'rebind.attacker.test',
    'rebind.attacker.test:8000',
    'localhost.attacker.test',
    'notes.example.com.attacker.test',
    'evilexample.org',
    'example.com',
    '127.0.0.1.nip.io',
    '0.0.0.0:8000',
    '10.0.0.5',
    '[::2]',
    '',
    'localhost:8000/path',
  ])('refuses %j', (host) => {
    expect(allowed(host)).toBe(false);
  });

  it('accepts only loopback names when nothing is configured, whatever the port', () => {
    const loopbackOnly = createHostAllowlist([]);
    fc.assert(
      fc.property(fc.domain(), fc.option(fc.integer({ min: 0, max: 65_535 }), { nil: undefined }), (name, port) => {
        const host = port === undefined ? name : `${name}:${port}`;
        const loopback = name === 'localhost' || name.endsWith('.localhost');
        expect(loopbackOnly(host)).toBe(loopback);
        expect(loopbackOnly(port === undefined ? 'localhost' : `localhost:${port}`)).toBe(true);
      }),
    );
  });

  it('throws on an entry that is not a host name', () => {
    expect(() => createHostAllowlist(['https://x.example'])).toThrow(/not a host name/);
  });
});

describe('originOf and normalizeOrigin', () => {
  it('writes origins as browsers do: lower case, default port left out', () => {
    expect(originOf('http', 'LOCALHOST:80')).toBe('http://localhost');
    expect(originOf('http', '127.0.0.1:8000')).toBe('http://127.0.0.1:8000');
    expect(originOf('https', 'notes.example.com:443')).toBe('https://notes.example.com');
    expect(originOf('https', '[::1]:8443')).toBe('https://[::1]:8443');
    expect(originOf('http', '')).toBeNull();
    expect(originOf('ftp', 'example.com')).toBeNull();
    expect(normalizeOrigin('http://127.0.0.1:8000')).toBe('http://127.0.0.1:8000');
    expect(normalizeOrigin('HTTPS://Example.com:443')).toBe('https://example.com');
    expect(normalizeOrigin('null')).toBe('null');
    expect(normalizeOrigin('file://')).toBeNull();
    expect(normalizeOrigin('http://example.com/path')).toBeNull();
  });
});

describe('crossOriginRefusal', () => {
  const configured = new Set(['https://app.example.com']);
  const isAllowed = (origin: string) => configured.has(origin);
  const own = 'http://127.0.0.1:8000';
  const refusal = (method: string, origin?: string, fetchSite?: string, ownOrigin: string | null = own) =>
    crossOriginRefusal({ method, origin, fetchSite, ownOrigin: () => ownOrigin }, isAllowed);

  it('lets requests without a browser origin through (curl, scripts, the SDK)', () => {
    expect(refusal('POST')).toBeNull();
    expect(refusal('DELETE', undefined, 'same-site')).toBeNull();
    expect(refusal('PUT', undefined, 'none')).toBeNull();
  });

  it('lets the server’s own pages and configured origins write', () => {
    expect(refusal('POST', own, 'same-origin')).toBeNull();
    expect(refusal('POST', own)).toBeNull();
    expect(refusal('POST', 'https://app.example.com', 'cross-site')).toBeNull();
    // Behind a proxy that hides the public origin, the browser's own word counts.
    expect(refusal('POST', 'https://notes.example.com', 'same-origin', 'http://127.0.0.1:8000')).toBeNull();
  });

  it('refuses writes from other origins, null origins and other sites', () => {
    expect(refusal('POST', 'https://evil.test', 'cross-site')).toBe('cross_site');
    expect(refusal('POST', 'https://evil.test')).toBe('disallowed_origin');
    expect(refusal('POST', 'http://127.0.0.1:9999', 'same-site')).toBe('disallowed_origin');
    expect(refusal('POST', 'http://localhost:8000', 'same-site')).toBe('disallowed_origin');
    expect(refusal('DELETE', 'null', 'cross-site')).toBe('null_origin');
    expect(refusal('PATCH', 'null', 'same-origin')).toBe('null_origin');
    expect(refusal('POST', undefined, 'cross-site')).toBe('cross_site');
    expect(refusal('POST', own, 'cross-site')).toBe('cross_site');
    expect(refusal('POST', 'https://evil.test', 'none', null)).toBe('disallowed_origin');
  });

  describe('everyRequest (the rule of /mcp)', () => {
    const strict = (method: string, origin?: string, fetchSite?: string, trusted = true) =>
      crossOriginRefusal(
        { method, origin, fetchSite, ownOrigin: () => own, everyRequest: { isTrustedHost: () => trusted } },
        isAllowed,
      );

    it('checks reads as well as writes', () => {
      for (const method of ['GET', 'DELETE', 'POST']) {
        expect(strict(method, 'https://evil.test')).toBe('disallowed_origin');
        expect(strict(method, 'null')).toBe('null_origin');
        expect(strict(method, undefined, 'cross-site')).toBe('cross_site');
      }
    });

    it('lets clients that are not browsers through, and configured origins', () => {
      expect(strict('GET')).toBeNull();
      expect(strict('POST', undefined, undefined, false)).toBeNull();
      expect(strict('GET', 'https://app.example.com', 'cross-site', false)).toBeNull();
    });

    it('takes the own origin only under a trusted host name: a rebound page is same-origin too', () => {
      expect(strict('GET', own, 'same-origin')).toBeNull();
      expect(strict('GET', undefined, 'same-origin')).toBeNull();
      expect(strict('GET', own, 'same-origin', false)).toBe('disallowed_origin');
      expect(strict('GET', undefined, 'same-origin', false)).toBe('disallowed_origin');
      // The browser's `same-origin` does not stand in for a matching Origin here.
      expect(strict('POST', 'https://notes.example.com', 'same-origin')).toBe('disallowed_origin');
    });
  });

  it('never refuses GET, HEAD or OPTIONS, and always refuses Origin: null on any other method', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('GET', 'HEAD', 'OPTIONS', 'POST', 'PUT', 'PATCH', 'DELETE', 'PROPFIND'),
        fc.option(fc.oneof(fc.constant('null'), fc.webUrl(), fc.string()), { nil: undefined }),
        fc.option(fc.constantFrom('cross-site', 'same-site', 'same-origin', 'none', 'junk'), { nil: undefined }),
        (method, origin, fetchSite) => {
          const result = refusal(method, origin, fetchSite);
          if (['GET', 'HEAD', 'OPTIONS'].includes(method)) {
            expect(result).toBeNull();
          } else if (origin === 'null') {
            expect(result).toBe('null_origin');
          } else if (origin === undefined && fetchSite !== 'cross-site') {
            expect(result).toBeNull();
          }
        },
      ),
    );
  });
});
