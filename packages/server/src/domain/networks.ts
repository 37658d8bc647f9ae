import ipaddr from 'ipaddr.js';

type Address = ipaddr.IPv4 | ipaddr.IPv6;

/** IPv4-mapped IPv6 (`::ffff:10.0.0.1`, how a dual-stack socket reports IPv4 clients) as the IPv4 address it is. */
function normalize(address: Address): Address {
  return address.kind() === 'ipv6' && (address as ipaddr.IPv6).isIPv4MappedAddress()
    ? (address as ipaddr.IPv6).toIPv4Address()
    : address;
}

/** A network as `address/prefix`, or one address (a /32 or /128); null when it is neither. */
export function parseNetwork(text: string): [Address, number] | null {
  const value = text.trim();
  try {
    if (value.includes('/')) {
      const [address, prefix] = ipaddr.parseCIDR(value);
      return [
        normalize(address),
        address.kind() === 'ipv6' && normalize(address).kind() === 'ipv4' ? prefix - 96 : prefix,
      ];
    }
    const address = normalize(ipaddr.parse(value));
    return [address, address.kind() === 'ipv4' ? 32 : 128];
  } catch {
    return null;
  }
}

/** The entries of a network list that are not networks (for an error message). */
export function invalidNetworks(list: readonly string[]): string[] {
  return list.filter((entry) => parseNetwork(entry) === null);
}

/**
 * Whether a client address lies in one of the networks; an empty list allows every address. Addresses that do not
 * parse never match a non-empty list.
 */
export function createNetworkMatcher(list: readonly string[]): (address: string) => boolean {
  const networks = list.map(parseNetwork).filter((network): network is [Address, number] => network !== null);
  if (list.length === 0) {
    return () => true;
  }
  return (text) => {
    let address: Address;
    try {
      address = normalize(ipaddr.parse(text));
    } catch {
      return false;
    }
    return networks.some(([network, prefix]) => network.kind() === address.kind() && address.match(network, prefix));
  };
}
