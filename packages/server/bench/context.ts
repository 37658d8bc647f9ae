/** What every benchmark section receives: options, request counts, the rate-limit strategy, and where results go. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import type { Row } from './report.js';
import { REPO_ROOT, type ServerMode } from './server-process.js';

export const SECTIONS = [
  'seed',
  'health',
  'prompt',
  'list',
  'create',
  'memory',
  'security',
  'chat',
  'embedding',
  'mcp',
  'cli',
  'keys',
] as const;
export type Section = (typeof SECTIONS)[number];

export interface Counts {
  warmup: number;
  /** Sequential requests per latency measurement. */
  sequential: number;
  /** Sequential POST /contexts per size. */
  createSequential: number;
  /** Duration of each concurrency-4 throughput run (security: per server, over all blocks). */
  throughputMs: number;
  concurrency: number;
  /** Alternating throughput blocks per server in the security comparison. */
  securityBlocks: number;
  securityGetSequential: number;
  securityPostSequential: number;
  securityThroughputMs: number;
  chatSequential: number;
  streamSequential: number;
  /** Sequential requests per worst-case text in the embedding section. */
  embeddingSequential: number;
  /** How long short prompts are measured while worst-case writes run. */
  embeddingLoadMs: number;
  /** Units of realistic lengths imported to measure indexing. */
  embeddingIndexUnits: number;
}

export const FULL_COUNTS: Counts = {
  warmup: 20,
  sequential: 200,
  createSequential: 200,
  throughputMs: 5000,
  concurrency: 4,
  securityBlocks: 20,
  securityGetSequential: 400,
  securityPostSequential: 150,
  securityThroughputMs: 20000,
  chatSequential: 100,
  streamSequential: 50,
  embeddingSequential: 20,
  embeddingLoadMs: 20_000,
  embeddingIndexUnits: 10_000,
};

export const QUICK_COUNTS: Counts = {
  warmup: 10,
  sequential: 50,
  createSequential: 30,
  throughputMs: 2000,
  concurrency: 4,
  securityBlocks: 2,
  securityGetSequential: 100,
  securityPostSequential: 30,
  securityThroughputMs: 2000,
  chatSequential: 15,
  streamSequential: 10,
  embeddingSequential: 5,
  embeddingLoadMs: 8_000,
  embeddingIndexUnits: 2_000,
};

/**
 * How the benchmark gets past the per-IP route limits (POST /contexts 100/min, /generate-prompt 50/min, /ai/chat
 * 10/min). With a `CONTEXTPILOT_RATE_LIMIT_MULTIPLIER` setting it raises the limits; without one it trusts the
 * loopback proxy (`CONTEXTPILOT_TRUST_PROXY=127.0.0.1`) and spreads requests over synthetic client addresses in
 * `X-Forwarded-For`, each used below the route's limit, so the limiter still counts every request as usual.
 */
export interface RateLimitStrategy {
  description: string;
  env: Record<string, string>;
  /** Headers for the next request to a route limited to `limit` per minute per client. */
  headers(route: string, limit: number): Record<string, string>;
}

export function chooseRateLimitStrategy(): RateLimitStrategy {
  const config = readFileSync(join(REPO_ROOT, 'packages/server/src/config.ts'), 'utf8');
  if (config.includes('CONTEXTPILOT_RATE_LIMIT_MULTIPLIER')) {
    return {
      description: 'CONTEXTPILOT_RATE_LIMIT_MULTIPLIER=1000 (limits raised by configuration)',
      env: { CONTEXTPILOT_RATE_LIMIT_MULTIPLIER: '1000' },
      headers: () => ({}),
    };
  }
  let next = 1;
  const current = new Map<string, { ip: string; used: number }>();
  const address = (n: number) => `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
  return {
    description:
      'no rate-limit setting exists: CONTEXTPILOT_TRUST_PROXY=127.0.0.1 and synthetic X-Forwarded-For client addresses, each kept under the route limit',
    env: { CONTEXTPILOT_TRUST_PROXY: '127.0.0.1' },
    headers(route, limit) {
      let slot = current.get(route);
      if (slot === undefined || slot.used >= Math.max(1, limit - 1)) {
        slot = { ip: address(next++), used: 0 };
        current.set(route, slot);
      }
      slot.used++;
      return { 'x-forwarded-for': slot.ip };
    },
  };
}

/** The route limits the server declares (requests per minute per client IP). */
export const ROUTE_LIMITS = {
  createContext: 100,
  generatePrompt: 50,
  chat: 10,
} as const;

export interface BenchContext {
  mode: ServerMode;
  counts: Counts;
  only: ReadonlySet<Section>;
  rateLimits: RateLimitStrategy;
  /** Temp root; each server gets a directory below it. */
  workRoot: string;
  /** A kept work directory whose seeded databases are copied instead of importing (`--reuse`). */
  reuseDir: string | null;
  seed: number;
  rows: Row[];
  /** Raw summaries per section, written to the JSON file. */
  details: Record<string, unknown>;
  progress(message: string): void;
  /** Starts measuring the CPU used by other processes (cores, averaged until `stop()`; null without /proc). */
  watchOthers(): { stop(): number | null };
}

export function wants(ctx: Pick<BenchContext, 'only'>, ...sections: Section[]): boolean {
  return sections.some((s) => ctx.only.has(s));
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
