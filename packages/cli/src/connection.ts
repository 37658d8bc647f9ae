import type { SavedConfig } from './config-file.js';
import { usageError } from './exit-codes.js';

/** Where the server is and how to authenticate to it. */
export interface Connection {
  url: string;
  apiKey: string | undefined;
  signingSecret: string | undefined;
}

/** The connection flags every command accepts. */
export interface ConnectionFlags {
  url?: string;
  apiKey?: string;
  signingSecret?: string;
}

export const DEFAULT_URL = 'http://127.0.0.1:8000';

/** The first value that is set and not blank (a blank variable counts as unset). */
export function firstSetting(...values: Array<string | undefined>): string | undefined {
  return values.find((value) => value !== undefined && value.trim() !== '');
}

/** An http(s) URL without a trailing slash, query or fragment. */
export function normalizeServerUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    throw usageError(`Not a URL: ${JSON.stringify(value.slice(0, 200))}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw usageError(`The server URL must start with http:// or https:// (got ${url.protocol})`);
  }
  if (url.username !== '' || url.password !== '') {
    throw usageError('Put the API key in --api-key, CONTEXTPILOT_API_KEY or the config file, not in the URL');
  }
  if (url.search !== '' || url.hash !== '') {
    throw usageError('The server URL takes no query or fragment');
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

/** Each setting from the flags, else the environment, else the saved configuration. */
export function resolveConnection(
  flags: ConnectionFlags,
  env: Record<string, string | undefined>,
  saved: SavedConfig,
): Connection {
  return {
    url: normalizeServerUrl(firstSetting(flags.url, env.CONTEXTPILOT_URL, saved.url) ?? DEFAULT_URL),
    apiKey: firstSetting(flags.apiKey, env.CONTEXTPILOT_API_KEY, saved.api_key),
    signingSecret: firstSetting(flags.signingSecret, env.CONTEXTPILOT_REQUEST_SIGNING_SECRET, saved.signing_secret),
  };
}
