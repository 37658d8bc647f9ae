import type Database from 'better-sqlite3';

import { settle } from './settle.js';
import { createStatementCache } from './statements.js';

import { type ConversationRow, type MessageRow, rowToConversation, rowToMessage } from '../rows.js';
import type { ConversationRecord, ConversationStore, ConversationSummaryRecord, MessageRecord } from '../store.js';

export function createSqliteConversationStore(db: Database.Database): ConversationStore {
  const prepare = createStatementCache(db);
  const insertConversation = db.prepare(
    `INSERT INTO conversations (id, task, prompt_type, created_at, last_message_at, provider, model, context_ids)
     VALUES (@id, @task, @promptType, @createdAt, @lastMessageAt, @provider, @model, @contextIds)`,
  );
  const insertMessage = db.prepare(
    `INSERT INTO messages (id, conversation_id, role, content, created_at, tokens, finish_reason, model, context_ids, task)
     VALUES (@id, @conversationId, @role, @content, @createdAt, @tokens, @finishReason, @model, @contextIds, @task)`,
  );
  const writeMessages = (conversationId: string, messages: readonly MessageRecord[]) => {
    for (const m of messages) {
      insertMessage.run({
        ...m,
        conversationId,
        contextIds: m.contextIds === null ? null : JSON.stringify(m.contextIds),
      });
    }
  };
  const createTx = db.transaction((c: ConversationRecord, messages: readonly MessageRecord[]) => {
    insertConversation.run({ ...c, contextIds: JSON.stringify(c.contextIds) });
    writeMessages(c.id, messages);
  });
  const appendTx = db.transaction(
    (
      id: string,
      update: { provider: string; model: string; lastMessageAt: string },
      messages: readonly MessageRecord[],
    ): boolean => {
      const changed = prepare('UPDATE conversations SET provider = ?, model = ?, last_message_at = ? WHERE id = ?').run(
        update.provider,
        update.model,
        update.lastMessageAt,
        id,
      ).changes;
      if (changed === 0) {
        return false;
      }
      writeMessages(id, messages);
      return true;
    },
  );

  return {
    create: (c, messages) => settle(() => createTx(c, messages)),
    appendTurn: (id, update, messages) => settle(() => appendTx(id, update, messages)),
    get: (id) =>
      settle(() => {
        const row = prepare('SELECT * FROM conversations WHERE id = ?').get(id) as ConversationRow | undefined;
        if (row === undefined) {
          return null;
        }
        const messages = prepare('SELECT * FROM messages WHERE conversation_id = ? ORDER BY seq').all(
          id,
        ) as MessageRow[];
        return { ...rowToConversation(row), messages: messages.map(rowToMessage) };
      }),
    list: ({ limit, offset, search }) =>
      settle(() => {
        const filter =
          search !== undefined && search !== ''
            ? `WHERE instr(cp_lower(c.task), @needle) > 0
               OR EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = c.id AND instr(cp_lower(coalesce(m.task, m.content)), @needle) > 0)`
            : '';
        const rows = prepare(
          `SELECT c.*, (SELECT count(*) FROM messages m WHERE m.conversation_id = c.id) AS message_count
             FROM conversations c ${filter}
             ORDER BY c.last_message_at DESC, c.created_at DESC LIMIT @limit OFFSET @offset`,
        ).all({ limit, offset, needle: (search ?? '').toLowerCase() }) as ConversationRow[];
        return rows.map((r): ConversationSummaryRecord => ({
          ...rowToConversation(r),
          messageCount: r.message_count ?? 0,
        }));
      }),
    delete: (id) => settle(() => prepare('DELETE FROM conversations WHERE id = ?').run(id).changes > 0),
  };
}
