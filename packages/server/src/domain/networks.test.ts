import { describe, expect, it } from 'vitest';

import { createNetworkMatcher, invalidNetworks, parseNetwork } from './networks.js';

describe('networks', () => {
  it('parses CIDR networks and single addresses, IPv4 and IPv6', () => {
    expect(parseNetwork('10.0.0.0/8')?.[1]).toBe(8);
    expect(parseNetwork('192.168.1.7')?.[1]).toBe(32);
    expect(parseNetwork('2001:db8::/32')?.[1]).toBe(32);
    expect(parseNetwork('::1')?.[1]).toBe(128);
    expect(parseNetwork('::ffff:10.0.0.0/104')?.[1]).toBe(8);
    expect(invalidNetworks(['10.0.0.0/8', '10.0.0.0/33', 'example.com', '', '1.2.3.4/-1'])).toEqual([
      '10.0.0.0/33',
      'example.com',
      '',
      '1.2.3.4/-1',
    ]);
  });

  it('matches client addresses against the list; an empty list allows all', () => {
    const matches = createNetworkMatcher(['10.0.0.0/8', '2001:db8::/32', '192.168.1.7']);
    expect(matches('10.20.30.40')).toBe(true);
    expect(matches('::ffff:10.1.2.3')).toBe(true);
    expect(matches('11.0.0.1')).toBe(false);
    expect(matches('2001:db8:1::5')).toBe(true);
    expect(matches('2001:db9::5')).toBe(false);
    expect(matches('192.168.1.7')).toBe(true);
    expect(matches('192.168.1.8')).toBe(false);
    expect(matches('not an address')).toBe(false);
    expect(createNetworkMatcher([])('203.0.113.5')).toBe(true);
  });
});
