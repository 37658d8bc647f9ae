import { describe, expect, it } from 'vitest';

import { aiResponse, conversation } from '../../test/mock-api';
import { defaultParams, isSendKey, requestFor, type ChatParams } from './chat-params';
import { chatReducer, contextsUsed, initialChatState, type ChatState } from './chat-state';

const meta = {
  conversation_id: 'c-new',
  provider: 'openai',
  model: 'gpt-4o',
  task: 'hello',
  prompt_used: 'PROMPT',
  history_dropped: 0,
  contexts: aiResponse().contexts,
};

function started(): ChatState {
  return chatReducer(initialChatState, {
    type: 'start',
    task: 'hello',
    userId: 'u',
    assistantId: 'a',
    at: '2026-01-01T00:00:00.000Z',
  });
}

describe('chat reducer (streamed turns)', () => {
  it('adds the user message and an empty streaming reply on start', () => {
    const state = started();
    expect(state.pending).toEqual({ task: 'hello', userId: 'u', assistantId: 'a' });
    expect(state.messages.map((m) => [m.role, m.content, m.status])).toEqual([
      ['user', 'hello', 'done'],
      ['assistant', '', 'streaming'],
    ]);
  });

  it('applies meta, appends deltas in order and settles on done', () => {
    let state = chatReducer(started(), { type: 'meta', meta });
    expect(state.messages[1]).toMatchObject({ model: 'gpt-4o', prompt: 'PROMPT', contexts: meta.contexts });
    state = chatReducer(state, { type: 'delta', text: 'Hi ' });
    state = chatReducer(state, { type: 'delta', text: '**there**' });
    expect(state.messages[1]?.content).toBe('Hi **there**');
    expect(state.conversationId).toBeNull(); // not saved until done
    state = chatReducer(state, {
      type: 'done',
      response: aiResponse({ model: 'gpt-4o-mini', finish_reason: 'length' }),
    });
    expect(state.conversationId).toBe('c-new');
    expect(state.pending).toBeNull();
    expect(state.messages[1]).toMatchObject({
      status: 'done',
      model: 'gpt-4o-mini',
      finishReason: 'length',
      content: 'Hi **there**',
    });
    expect(contextsUsed(state.messages)).toBe(1);
  });

  it('takes a failed turn out entirely (no orphan bubble)', () => {
    const state = chatReducer(chatReducer(started(), { type: 'delta', text: 'partial' }), { type: 'fail' });
    expect(state.messages).toEqual([]);
    expect(state.pending).toBeNull();
  });

  it('keeps a stopped reply, marked as not saved', () => {
    const state = chatReducer(chatReducer(started(), { type: 'delta', text: 'partial' }), { type: 'stop' });
    expect(state.messages.map((m) => [m.status, m.unsaved])).toEqual([
      ['done', true],
      ['stopped', true],
    ]);
    expect(contextsUsed(state.messages)).toBe(0);
  });

  it('ignores stream events with no turn in flight', () => {
    expect(chatReducer(initialChatState, { type: 'delta', text: 'x' })).toBe(initialChatState);
  });

  it('loads a saved conversation without system messages, showing the typed task', () => {
    const state = chatReducer(started(), { type: 'load', conversation: conversation() });
    expect(state.conversationId).toBe('c1');
    expect(state.messages.map((m) => [m.role, m.content])).toEqual([
      ['user', 'First task'],
      ['assistant', 'Earlier answer'],
    ]);
    expect(state.messages[1]).toMatchObject({
      contextIds: ['u1'],
      prompt: 'COMPOSED PROMPT',
      model: 'claude-sonnet-4-5',
    });
    expect(contextsUsed(state.messages)).toBe(1);
  });
});

describe('chat request', () => {
  const params: ChatParams = { ...defaultParams(undefined, undefined), provider: 'openai', model: 'gpt-4o' };

  it('sends Max contexts for a new chat and 0 for a follow-up', () => {
    expect(requestFor('q', params, null)).toEqual({
      task: 'q',
      max_context_units: 5,
      max_tokens: 4000,
      temperature: 1,
      provider: 'openai',
      model: 'gpt-4o',
    });
    expect(requestFor('q', params, 'c1')).toMatchObject({ max_context_units: 0, conversation_id: 'c1' });
    expect(requestFor('q', { ...params, refreshContexts: true }, 'c1')).toMatchObject({ max_context_units: 5 });
  });

  it('never sends NaN or out-of-range numbers', () => {
    const body = requestFor('q', { ...params, maxContexts: '', maxTokens: '99999', temperature: 'abc' }, null);
    expect(body).toMatchObject({ max_context_units: 5, max_tokens: 16000, temperature: 1 });
  });

  it('treats Enter as send only outside IME composition and without Shift', () => {
    expect(isSendKey({ key: 'Enter', shiftKey: false, nativeEvent: {} }, false)).toBe(true);
    expect(isSendKey({ key: 'Enter', shiftKey: true, nativeEvent: {} }, false)).toBe(false);
    expect(isSendKey({ key: 'Enter', shiftKey: false, nativeEvent: { isComposing: true } }, false)).toBe(false);
    expect(isSendKey({ key: 'Enter', shiftKey: false, nativeEvent: { keyCode: 229 } }, false)).toBe(false);
    expect(isSendKey({ key: 'Enter', shiftKey: false, nativeEvent: {} }, true)).toBe(false);
    expect(isSendKey({ key: 'a', shiftKey: false, nativeEvent: {} }, false)).toBe(false);
  });
});
