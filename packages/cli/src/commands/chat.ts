import type { Command } from 'commander';

import type { AIRequest, AIResponse } from '@contextpilot/contract';

import { needsScope, type CommandAction } from '../command.js';
import { emit, listTable, printable } from '../output.js';
import { integerIn, numberIn } from '../parse.js';
import { textArgument } from '../stdin.js';

interface ChatFlags {
  provider?: string;
  model?: string;
  conversation?: string;
  compact?: boolean;
  limit?: number;
  temperature?: number;
  maxTokens?: number;
}

/** `chat` (one turn, streamed to the terminal) and `conversations`. */
export function registerChatCommands(program: Command, action: CommandAction): void {
  needsScope(program.command('chat'), 'chat')
    .description('ask a model with your context; the reply streams to the terminal (Ctrl-C stops it)')
    .argument('<message>', 'what to ask ("-" reads it from standard input)')
    .option('-p, --provider <provider>', 'openai, anthropic or ollama (default: the saved settings)')
    .option('-m, --model <model>', "the model (default: the provider's)")
    .option('--conversation <id>', 'continue this conversation')
    .option('--compact', 'send the compact prompt')
    .option('-n, --limit <n>', 'at most this many units (0–20)', integerIn(0, 20))
    .option('--temperature <n>', 'sampling temperature (0–2)', numberIn(0, 2))
    .option('--max-tokens <n>', 'longest reply, in tokens', integerIn(1, 16_000))
    .action(
      action(async (context, message: string, flags: ChatFlags) => {
        const client = await context.client();
        const request: AIRequest = {
          task: await textArgument(message, 'message'),
          ...(flags.provider !== undefined && { provider: flags.provider }),
          ...(flags.model !== undefined && { model: flags.model }),
          ...(flags.conversation !== undefined && { conversation_id: flags.conversation }),
          ...(flags.compact === true && { use_compact: true }),
          ...(flags.limit !== undefined && { max_context_units: flags.limit }),
          ...(flags.temperature !== undefined && { temperature: flags.temperature }),
          ...(flags.maxTokens !== undefined && { max_tokens: flags.maxTokens }),
        };
        // Ctrl-C aborts the request: the server sees the connection close and stops the provider's call.
        const controller = new AbortController();
        const interrupt = () => controller.abort();
        process.once('SIGINT', interrupt);
        const { output } = context;
        let reply: AIResponse | null = null;
        try {
          for await (const event of client.chatStream(request, { signal: controller.signal })) {
            if (event.type === 'meta' && !output.json) {
              const { provider, model, contexts } = event.data;
              output.err(`[${provider} · ${model} · ${contexts.length} context units]\n`);
            } else if (event.type === 'delta' && !output.json) {
              // A model's reply may carry terminal escapes (a prompt injection could ask for them).
              output.out(output.tty ? printable(event.data.text) : event.data.text);
            } else if (event.type === 'done') {
              reply = event.data;
            }
          }
        } finally {
          process.removeListener('SIGINT', interrupt);
        }
        if (output.json) {
          emit(output, reply, () => '');
        } else if (reply !== null) {
          output.out(reply.response.endsWith('\n') ? '' : '\n');
          output.err(`[conversation ${reply.conversation_id}]\n`);
        }
      }),
    );

  const conversations = program.command('conversations').description('past chats: list, show or delete');
  needsScope(conversations.command('list', { isDefault: true }), 'chat')
    .description('the latest conversations')
    .option('-n, --limit <n>', 'at most this many (1–200)', integerIn(1, 200))
    .option('--offset <n>', 'skip this many', integerIn(0, Number.MAX_SAFE_INTEGER))
    .option('--search <text>', 'only those whose task or messages contain this text')
    .action(
      action(async (context, flags: { limit?: number; offset?: number; search?: string }) => {
        const list = await (await context.client()).listConversations(flags);
        emit(context.output, list, (l) =>
          listTable(context.output, l.conversations, {
            empty: 'No conversations.',
            headers: ['ID', 'LAST MESSAGE', 'MSGS', 'MODEL', 'TASK'],
            row: (c) => [c.id, c.last_message_at, String(c.message_count), `${c.provider}/${c.model}`, c.task],
          }),
        );
      }),
    );
  needsScope(conversations.command('show'), 'chat')
    .description('one conversation, message by message')
    .argument('<id>', 'the conversation id')
    .action(
      action(async (context, id: string) => {
        const detail = await (await context.client()).getConversation(id);
        emit(context.output, detail, (d) =>
          d.messages.map((m) => `── ${m.role} · ${m.created_at}\n${printable(m.content)}`).join('\n\n'),
        );
      }),
    );
  needsScope(conversations.command('rm'), 'chat')
    .description('delete a conversation')
    .argument('<id>', 'the conversation id')
    .action(
      action(async (context, id: string) => {
        await (await context.client()).deleteConversation(id);
        emit(context.output, { deleted: id }, () => `Deleted conversation ${id}`);
      }),
    );
}
