import { echo } from '../domain/echo.js';
import { notFound } from '../errors.js';
import type {
  ConversationRecord,
  ConversationStore,
  ConversationSummaryRecord,
  MessageRecord,
} from '../storage/store.js';

/** Listing, reading and deleting conversations. */
export function createConversationService(deps: { store: ConversationStore }) {
  return {
    list(options: {
      limit: number;
      offset: number;
      search?: string | undefined;
    }): Promise<ConversationSummaryRecord[]> {
      return deps.store.list(options);
    },
    async get(id: string): Promise<ConversationRecord & { messages: MessageRecord[] }> {
      const conversation = await deps.store.get(id);
      if (conversation === null) {
        throw notFound(`Conversation ${echo(id)} not found`);
      }
      return conversation;
    },
    async delete(id: string): Promise<void> {
      if (!(await deps.store.delete(id))) {
        throw notFound(`Conversation ${echo(id)} not found`);
      }
    },
  };
}
export type ConversationService = ReturnType<typeof createConversationService>;
