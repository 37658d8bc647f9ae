import type pg from 'pg';
import type { PoolClient } from 'pg';

import { type ConversationRow, type MessageRow, rowToConversation, rowToMessage } from '../rows.js';
import type { ConversationStore, ConversationSummaryRecord, MessageRecord } from '../store.js';

const CONVERSATION_COLUMNS = 'id, task, prompt_type, created_at, last_message_at, provider, model, context_ids';
const MESSAGE_COLUMNS = 'id, role, content, created_at, tokens, finish_reason, model, context_ids, task';

/** Inserts messages in array order, so `seq` keeps the turn order. */
async function writeMessages(
  client: PoolClient,
  conversationId: string,
  messages: readonly MessageRecord[],
): Promise<void> {
  for (const m of messages) {
    await client.query(
      `INSERT INTO messages (conversation_id, ${MESSAGE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10)`,
      [
        conversationId,
        m.id,
        m.role,
        m.content,
        m.createdAt,
        m.tokens,
        m.finishReason,
        m.model,
        m.contextIds === null ? null : JSON.stringify(m.contextIds),
        m.task,
      ],
    );
  }
}

/**
 * Conversations and messages in PostgreSQL; same behaviour as `sqlite/sqlite-conversations.ts`. `transaction` runs a
 * function on one client inside BEGIN/COMMIT.
 */
export function createPostgresConversationStore(
  pool: pg.Pool,
  transaction: <T>(fn: (client: PoolClient) => Promise<T>) => Promise<T>,
): ConversationStore {
  return {
    create: (c, messages) =>
      transaction(async (client) => {
        await client.query(
          `INSERT INTO conversations (${CONVERSATION_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb)`,
          [c.id, c.task, c.promptType, c.createdAt, c.lastMessageAt, c.provider, c.model, JSON.stringify(c.contextIds)],
        );
        await writeMessages(client, c.id, messages);
      }),
    appendTurn: (id, update, messages) =>
      transaction(async (client) => {
        const changed = await client.query(
          'UPDATE conversations SET provider = $1, model = $2, last_message_at = $3 WHERE id = $4',
          [update.provider, update.model, update.lastMessageAt, id],
        );
        if ((changed.rowCount ?? 0) === 0) {
          return false;
        }
        await writeMessages(client, id, messages);
        return true;
      }),
    get: async (id) => {
      const row = (
        await pool.query<ConversationRow>(`SELECT ${CONVERSATION_COLUMNS} FROM conversations WHERE id = $1`, [id])
      ).rows[0];
      if (row === undefined) {
        return null;
      }
      const messages = await pool.query<MessageRow>(
        `SELECT ${MESSAGE_COLUMNS} FROM messages WHERE conversation_id = $1 ORDER BY seq`,
        [id],
      );
      return { ...rowToConversation(row), messages: messages.rows.map(rowToMessage) };
    },
    list: async ({ limit, offset, search }) => {
      // strpos over lower() on both sides: case-insensitive, Unicode-aware, and the needle's % and _ stay literal.
      const filter =
        search !== undefined && search !== ''
          ? `WHERE strpos(lower(c.task), lower($3)) > 0
             OR EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = c.id
                          AND strpos(lower(coalesce(m.task, m.content)), lower($3)) > 0)`
          : '';
      const params: unknown[] = filter === '' ? [limit, offset] : [limit, offset, search];
      const result = await pool.query<ConversationRow>(
        `SELECT c.*,
           (SELECT count(*)::int FROM messages m WHERE m.conversation_id = c.id) AS message_count
         FROM conversations c ${filter}
         ORDER BY c.last_message_at DESC, c.created_at DESC LIMIT $1 OFFSET $2`,
        params,
      );
      return result.rows.map((r): ConversationSummaryRecord => ({
        ...rowToConversation(r),
        messageCount: r.message_count ?? 0,
      }));
    },
    delete: async (id) => ((await pool.query('DELETE FROM conversations WHERE id = $1', [id])).rowCount ?? 0) > 0,
  };
}
