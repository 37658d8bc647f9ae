/** A message as the trimming sees it. */
export interface HistoryMessage {
  role: 'user' | 'assistant';
  content: string;
}

/** Rough token count: about 4 characters per token, plus a few tokens of per-message overhead. */
export function estimateMessageTokens(text: string): number {
  return Math.ceil(text.length / 4) + 4;
}

/**
 * Drops the oldest history messages until system prompt + history + the new user turn + the reply budget fit the
 * model's context window. The new user turn is never dropped (even if it alone is too long), and history is
 * dropped from the front in whole user/assistant pairs so the conversation stays well-formed.
 */
export function trimHistory(options: {
  system: string;
  history: readonly HistoryMessage[];
  newTurn: string;
  contextWindow: number;
  replyTokens: number;
}): { kept: HistoryMessage[]; dropped: number } {
  const fixed = estimateMessageTokens(options.system) + estimateMessageTokens(options.newTurn) + options.replyTokens;
  let budget = options.contextWindow - fixed;
  const kept: HistoryMessage[] = [];
  // Walk from the newest message backwards, keeping whole turns while they fit.
  for (let i = options.history.length - 1; i >= 0; i--) {
    const message = options.history[i] as HistoryMessage;
    const cost = estimateMessageTokens(message.content);
    if (cost > budget) {
      break;
    }
    budget -= cost;
    kept.unshift(message);
  }
  // Never start with an assistant reply whose question was dropped.
  while (kept.length > 0 && kept[0]?.role === 'assistant') {
    kept.shift();
  }
  return { kept, dropped: options.history.length - kept.length };
}
