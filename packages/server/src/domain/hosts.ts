/**
 * Host names and origins as HTTP writes them (`Host`, `Origin`, CONTEXTPILOT_ALLOWED_HOSTS), and the rules that decide
 * which requests a browser may have been tricked into sending: DNS rebinding (a foreign name that resolves to this
 * server) and cross-site writes.
 */

/** A host name (lower case, IPv6 in brackets, no trailing dot) and the port written after it, if any. */
export interface HostAndPort {
  name: string;
  port: number | null;
}

/** An entry of the allowed host names: the name itself, or with `subdomains` every name under it as well. */
export interface HostPattern {
  name: string;
  subdomains: boolean;
}

// A registered name (letters, digits, `-`, `_`, dots) or a bracketed IPv6 literal, then an optional port.
const HOST = /^(\[[0-9a-f:.]+\]|[a-z0-9_.-]+)(?::([0-9]{1,5}))?$/;
const MAX_HOST_LENGTH = 300;
const IPV4_LOOPBACK = /^127\.([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})$/;

/** Parses a `Host` header value (`name`, `name:port`, `[v6]:port`); null when it is not one. Case-insensitive. */
export function parseHost(value: string): HostAndPort | null {
  if (value.length > MAX_HOST_LENGTH) {
    return null;
  }
  const match = HOST.exec(value.toLowerCase());
  if (match === null) {
    return null;
  }
  const port = match[2] === undefined ? null : Number(match[2]);
  // `example.com.` is the same DNS name as `example.com`.
  const name = (match[1] ?? '').replace(/(?<=.)\.$/, '');
  if (name.startsWith('.') || name.includes('..') || (port !== null && port > 65_535)) {
    return null;
  }
  return { name, port };
}

/** A `Host` value written as `parseHost` reads it (`name[:port]`), or null when it is not one. */
export function normalizeHost(value: string): string | null {
  const host = parseHost(value);
  return host === null ? null : `${host.name}${host.port === null ? '' : `:${host.port}`}`;
}

/** True for names that always mean this machine: `localhost`, `*.localhost`, 127.0.0.0/8 and `[::1]`. */
export function isLoopbackName(name: string): boolean {
  if (name === 'localhost' || name.endsWith('.localhost') || name === '[::1]') {
    return true;
  }
  const ipv4 = IPV4_LOOPBACK.exec(name);
  return ipv4 !== null && ipv4.slice(1).every((octet) => Number(octet) <= 255);
}

/** True when a listen address (CONTEXTPILOT_HOST) accepts connections from this machine only. */
export function isLoopbackAddress(address: string): boolean {
  const a = address.trim().toLowerCase();
  return isLoopbackName(a === '::1' ? '[::1]' : a);
}

/**
 * Parses an entry of the allowed host names: `notes.example.com`, `.example.com` (that name and every subdomain), an
 * IP address (IPv6 in brackets). No scheme and no port: the name is what DNS rebinding forges, and the port is the one
 * the server (or its proxy) listens on anyway. Null when the entry is none of these.
 */
export function parseHostPattern(entry: string): HostPattern | null {
  const subdomains = entry.startsWith('.');
  const host = parseHost(subdomains ? entry.slice(1) : entry);
  if (host === null || host.port !== null) {
    return null;
  }
  return { name: host.name, subdomains };
}

/**
 * The check of a `Host` (or trusted `X-Forwarded-Host`) value against the loopback names and `entries`, on any port.
 * @throws Error when an entry is not a valid pattern (the configuration has already refused those).
 */
export function createHostAllowlist(entries: readonly string[]): (host: string) => boolean {
  const patterns = entries.map((entry) => {
    const pattern = parseHostPattern(entry);
    if (pattern === null) {
      throw new Error(`not a host name: ${entry}`);
    }
    return pattern;
  });
  return (value) => {
    const host = parseHost(value);
    if (host === null) {
      return false;
    }
    return (
      isLoopbackName(host.name) ||
      patterns.some((p) => host.name === p.name || (p.subdomains && host.name.endsWith(`.${p.name}`)))
    );
  };
}

const DEFAULT_PORTS: Readonly<Record<string, number>> = { http: 80, https: 443 };

/**
 * The origin (`scheme://name[:port]`, default port left out, as browsers write `Origin`) of a request made with
 * `protocol` to `host`; null when `host` is not a valid Host value or the scheme is not HTTP(S).
 */
export function originOf(protocol: string, host: string): string | null {
  const parsed = parseHost(host);
  const defaultPort = DEFAULT_PORTS[protocol];
  if (parsed === null || defaultPort === undefined) {
    return null;
  }
  const port = parsed.port === null || parsed.port === defaultPort ? '' : `:${parsed.port}`;
  return `${protocol}://${parsed.name}${port}`;
}

/** An `Origin` header value in the form `originOf` gives, `null` as is, or null when it is neither. */
export function normalizeOrigin(value: string): string | null {
  if (value === 'null') {
    return value;
  }
  const match = /^(https?):\/\/(.*)$/i.exec(value);
  return match === null ? null : originOf((match[1] ?? '').toLowerCase(), match[2] ?? '');
}

/** Why a request that may change state is refused as cross-origin. */
export type CrossOriginRefusal = 'null_origin' | 'disallowed_origin' | 'cross_site';

/** Methods that change nothing: never refused for where they come from. */
const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Whether a browser may have sent this request on behalf of another site (CSRF), from the headers browsers set and
 * pages cannot forge. In order:
 * - GET, HEAD and OPTIONS: never refused (unless `everyRequest`).
 * - `Origin: null` (sandboxed frames, `file://` pages): refused.
 * - An origin the configuration allows (`isAllowedOrigin`): accepted, even from another site.
 * - `Sec-Fetch-Site: cross-site`: refused.
 * - An Origin other than the server's own (`ownOrigin`): refused, unless the browser itself says `same-origin` (a proxy
 *   in front may hide the public scheme or name from the server).
 * - No Origin and no cross-site marker: not a browser's cross-site request (curl, scripts, the SDK): accepted.
 *
 * `everyRequest` is the stricter rule of an endpoint whose reads matter too (`/mcp`, as the MCP specification asks
 * against DNS rebinding): every method is checked, and a browser's request (one with an Origin or a
 * `Sec-Fetch-Site`) that no configured origin allows must come from the server's own origin under a host name
 * that cannot be a rebound one (`isTrustedHost`: a loopback name or one of the allowed hosts). Clients other than
 * browsers send neither header and pass.
 * @returns the reason to refuse, or null to go on
 */
export function crossOriginRefusal(
  request: {
    method: string;
    origin: string | undefined;
    fetchSite: string | undefined;
    /** The origin the client addressed (`originOf`), asked for only when it matters. */
    ownOrigin: () => string | null;
    /** The stricter rule, with the test of the host name the client addressed. */
    everyRequest?: { isTrustedHost: () => boolean } | undefined;
  },
  isAllowedOrigin: (origin: string) => boolean,
): CrossOriginRefusal | null {
  const { origin, fetchSite, everyRequest } = request;
  if (everyRequest === undefined && SAFE_METHODS.has(request.method)) {
    return null;
  }
  if (origin === 'null') {
    return 'null_origin';
  }
  if (origin !== undefined && isAllowedOrigin(origin)) {
    return null;
  }
  if (fetchSite === 'cross-site') {
    return 'cross_site';
  }
  if (everyRequest !== undefined) {
    if (origin === undefined && fetchSite === undefined) {
      return null;
    }
    const own = request.ownOrigin();
    const sameOrigin = origin === undefined || (own !== null && normalizeOrigin(origin) === own);
    return sameOrigin && everyRequest.isTrustedHost() ? null : 'disallowed_origin';
  }
  if (origin === undefined || fetchSite === 'same-origin') {
    return null;
  }
  const own = request.ownOrigin();
  return own !== null && normalizeOrigin(origin) === own ? null : 'disallowed_origin';
}
