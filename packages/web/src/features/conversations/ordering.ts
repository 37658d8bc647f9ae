import type { ConversationSummary } from '@contextpilot/contract';

import { timeValue } from '../../lib/time';

/** Milliseconds of a conversation's last activity: the server's times, or a local send that is newer. */
export function lastActivity(conversation: ConversationSummary, bumps: ReadonlyMap<string, number>): number {
  return Math.max(
    timeValue(conversation.last_message_at),
    timeValue(conversation.created_at),
    bumps.get(conversation.id) ?? 0,
  );
}

/** Most recent activity first; ties by id, descending, so the order is stable. */
export function orderConversations(
  list: readonly ConversationSummary[],
  bumps: ReadonlyMap<string, number> = new Map(),
): ConversationSummary[] {
  return [...list].sort((a, b) => {
    const diff = lastActivity(b, bumps) - lastActivity(a, bumps);
    if (diff !== 0) {
      return diff;
    }
    return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
  });
}
