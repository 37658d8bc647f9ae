import { isAbortError } from '@contextpilot/client';
import type { AIResponse, ConversationDetail } from '@contextpilot/contract';
import { useQueryClient } from '@tanstack/react-query';
import { useCallback, useEffect, useReducer, useRef } from 'react';

import { useApi } from '../../api/api';
import { errorMessage } from '../../api/errors';
import { queryKeys } from '../../api/hooks';
import { useActivityLog } from '../activity/activity-log';
import { requestFor, type ChatParams } from './chat-params';
import { chatReducer, initialChatState } from './chat-state';

let counter = 0;
const localId = (prefix: string) => `${prefix}-${Date.now().toString(36)}-${(counter++).toString(36)}`;

export interface SendCallbacks {
  onDone?: (response: AIResponse, wasNew: boolean) => void;
  onFail?: (task: string, message: string, error: unknown) => void;
}

/** One chat: its messages, the streamed turn in flight, and Stop. */
export function useChat() {
  const { client, reportError } = useApi();
  const queryClient = useQueryClient();
  const { log } = useActivityLog();
  const [state, dispatch] = useReducer(chatReducer, initialChatState);
  const controllerRef = useRef<AbortController | null>(null);
  const stateRef = useRef(state);
  stateRef.current = state;

  useEffect(() => () => controllerRef.current?.abort(), []);

  const stop = useCallback(() => {
    if (controllerRef.current) {
      controllerRef.current.abort();
      controllerRef.current = null;
      dispatch({ type: 'stop' });
      log('user', 'Stopped the reply (not saved)');
    }
  }, [log]);

  const reset = useCallback(() => {
    controllerRef.current?.abort();
    controllerRef.current = null;
    dispatch({ type: 'reset' });
  }, []);

  const load = useCallback((conversation: ConversationDetail) => {
    controllerRef.current?.abort();
    controllerRef.current = null;
    dispatch({ type: 'load', conversation });
  }, []);

  const send = useCallback(
    async (task: string, params: ChatParams, callbacks: SendCallbacks = {}) => {
      if (controllerRef.current || task.trim() === '') {
        return;
      }
      const conversationId = stateRef.current.conversationId;
      const request = requestFor(task, params, conversationId);
      const controller = new AbortController();
      controllerRef.current = controller;
      dispatch({
        type: 'start',
        task,
        userId: localId('user'),
        assistantId: localId('assistant'),
        at: new Date().toISOString(),
      });
      log('user', `Sent a message (${task.length} chars)`);
      log(
        'server',
        `Chat request: provider ${request.provider ?? 'default'}, model ${request.model ?? 'default'}, ${request.max_context_units} contexts`,
      );
      try {
        for await (const event of client.chatStream(request, { signal: controller.signal })) {
          if (controller.signal.aborted) {
            return;
          }
          if (event.type === 'meta') {
            dispatch({ type: 'meta', meta: event.data });
          } else if (event.type === 'delta') {
            dispatch({ type: 'delta', text: event.data.text });
          } else {
            dispatch({ type: 'done', response: event.data });
            log('server', `Reply from ${event.data.provider} / ${event.data.model}`);
            controllerRef.current = null;
            void queryClient.invalidateQueries({ queryKey: queryKeys.conversations });
            queryClient.removeQueries({ queryKey: queryKeys.conversation(event.data.conversation_id) });
            callbacks.onDone?.(event.data, conversationId === null);
          }
        }
      } catch (error) {
        if (controller.signal.aborted || isAbortError(error)) {
          return; // stop() already recorded the stopped turn
        }
        controllerRef.current = null;
        dispatch({ type: 'fail' });
        const message = errorMessage(error, 'The reply failed');
        log('server', `Chat failed: ${message}`);
        reportError(error);
        callbacks.onFail?.(task, message, error);
      } finally {
        if (controllerRef.current === controller) {
          controllerRef.current = null;
        }
      }
    },
    [client, log, queryClient, reportError],
  );

  return { state, send, stop, reset, load, streaming: state.pending !== null };
}
