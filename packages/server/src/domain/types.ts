import type { ContextStatus, ContextType } from '@contextpilot/contract';

export type { ContextStatus, ContextType };

/** A context unit inside the server (camelCase; the wire shape is produced by presenters). */
export interface ContextUnit {
  id: string;
  type: ContextType;
  content: string;
  confidence: number;
  /** RFC 3339 UTC with milliseconds. */
  createdAt: string;
  lastUsed: string | null;
  source: string;
  tags: string[];
  status: ContextStatus;
  supersededBy: string | null;
}

/** Source of the current time; injected so that tests never sleep. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** Formats a Date as RFC 3339 UTC with milliseconds and `Z`. */
export function toTimestamp(date: Date): string {
  return date.toISOString();
}
