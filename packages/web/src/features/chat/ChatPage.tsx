import type { ConversationDetail } from '@contextpilot/contract';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';

import { useApi } from '../../api/api';
import { errorMessage } from '../../api/errors';
import { queryKeys, useContextLookup, useProviders, useSettings, useStats } from '../../api/hooks';
import { useNotify } from '../../components/Notifications';
import { SidePanel } from '../../components/SidePanel';
import type { Route } from '../../app/routes';
import { truncate } from '../../lib/text';
import { useMediaQuery } from '../../lib/use-media';
import { usePersistentFlag } from '../../lib/use-persistent';
import { ActivityLog } from '../activity/ActivityLog';
import { useActivityLog } from '../activity/activity-log';
import { QuickContexts } from '../contexts/QuickContexts';
import { ConversationList } from '../conversations/ConversationList';
import { defaultParams, LIMITS, type ChatParams } from './chat-params';
import { contextsUsed } from './chat-state';
import { ChatSettings } from './ChatSettings';
import { Composer } from './Composer';
import { MessageBubble } from './MessageBubble';
import { PromptPreview } from './PromptPreview';
import { useChat } from './use-chat';

export const WIDE_LAYOUT = '(min-width: 1100px)';

interface Props {
  conversationId: string | null;
  navigate: (route: Route, options?: { replace?: boolean }) => void;
}

/** The chat view: conversations on the left, the chat in the middle, the contexts on the right. */
export function ChatPage({ conversationId, navigate }: Props) {
  const api = useApi();
  const queryClient = useQueryClient();
  const notify = useNotify();
  const { log } = useActivityLog();
  const wide = useMediaQuery(WIDE_LAYOUT);
  const [leftOpen, setLeftOpen] = usePersistentFlag('contextpilot.panel.conversations', true);
  const [rightOpen, setRightOpen] = usePersistentFlag('contextpilot.panel.contexts', true);
  const [drawer, setDrawer] = useState<'left' | 'right' | null>(null);

  const chat = useChat();
  const { state, streaming } = chat;
  const providers = useProviders();
  const settings = useSettings();
  const stats = useStats();
  const lookup = useContextLookup(state.messages.length > 0);

  const [params, setParams] = useState<ChatParams>(() => defaultParams(undefined, undefined));
  const touched = useRef(false);
  const [draft, setDraft] = useState('');
  const [bumps, setBumps] = useState<ReadonlyMap<string, number>>(() => new Map());
  const [loadingId, setLoadingId] = useState<string | null>(null);
  const [preview, setPreview] = useState<string | null>(null);
  const [announcement, setAnnouncement] = useState('');
  const inputRef = useRef<HTMLTextAreaElement>(null);
  const listRef = useRef<HTMLDivElement>(null);
  const routeIdRef = useRef<string | null | undefined>(undefined);

  // Defaults from the server until the user changes something; later settings changes never undo their choices.
  useEffect(() => {
    if (!touched.current && (providers.data || settings.data)) {
      setParams(defaultParams(providers.data, settings.data));
    }
  }, [providers.data, settings.data]);

  const changeParams = useCallback((patch: Partial<ChatParams>) => {
    touched.current = true;
    setParams((current) => ({ ...current, ...patch }));
  }, []);

  const bump = useCallback((id: string) => {
    setBumps((current) => new Map(current).set(id, Date.now()));
  }, []);

  const openConversation = useCallback(
    async (id: string) => {
      setLoadingId(id);
      log('server', 'Requested a conversation');
      try {
        const detail: ConversationDetail = await queryClient.fetchQuery({
          queryKey: queryKeys.conversation(id),
          queryFn: ({ signal }) => api.client.getConversation(id, { signal }),
        });
        if (routeIdRef.current !== id) {
          return; // the user moved on meanwhile
        }
        chat.load(detail);
        touched.current = true;
        setParams((current) => ({
          ...current,
          provider: detail.provider,
          model: detail.model,
          refreshContexts: false,
        }));
        log('server', 'Conversation loaded');
      } catch (error) {
        api.reportError(error);
        log('server', 'Failed to load a conversation');
        if (routeIdRef.current === id) {
          notify('error', errorMessage(error, 'Failed to load conversation'));
        }
      } finally {
        setLoadingId((current) => (current === id ? null : current));
      }
    },
    [api, chat, log, notify, queryClient],
  );

  // The route says which conversation is open; react only when it changes.
  useEffect(() => {
    if (routeIdRef.current === conversationId) {
      return;
    }
    routeIdRef.current = conversationId;
    if (conversationId === null) {
      if (state.conversationId !== null) {
        chat.reset();
      }
      return;
    }
    if (conversationId !== state.conversationId) {
      void openConversation(conversationId);
    }
  }, [conversationId, state.conversationId, chat, openConversation]);

  // Keep the newest message in view while the user is at the bottom (new messages, streamed text, lazy markdown).
  const stickToBottom = useRef(true);
  const messagesRef = useRef<HTMLOListElement>(null);
  useEffect(() => {
    const box = listRef.current;
    const list = messagesRef.current;
    if (!box || !list) {
      return;
    }
    const toBottom = () => {
      if (stickToBottom.current) {
        box.scrollTop = box.scrollHeight;
      }
    };
    const onScroll = () => {
      stickToBottom.current = box.scrollHeight - box.scrollTop - box.clientHeight < 80;
    };
    box.addEventListener('scroll', onScroll, { passive: true });
    const observer = typeof ResizeObserver === 'function' ? new ResizeObserver(toBottom) : null;
    observer?.observe(list);
    return () => {
      box.removeEventListener('scroll', onScroll);
      observer?.disconnect();
    };
  }, []);
  useEffect(() => {
    const box = listRef.current;
    if (box) {
      box.scrollTop = box.scrollHeight;
      stickToBottom.current = true;
    }
  }, [state.messages.length, state.conversationId]);

  const startNewChat = () => {
    chat.reset();
    touched.current = false;
    setParams(defaultParams(providers.data, settings.data));
    setDraft('');
    // The route effect follows the hash change to `#/chat`. Marking the route as changed here, before the hash has
    // changed, made the effect reopen the old conversation (a wasted GET, and a 404 error after a delete).
    navigate({ view: 'chat', conversationId: null });
    setDrawer(null);
    inputRef.current?.focus();
    log('user', 'Started a new chat');
  };

  const sendRef = useRef<(task: string) => void>(() => undefined);
  const send = (text: string) => {
    const task = text.trim();
    if (task === '' || streaming) {
      return;
    }
    setDraft((current) => (current.trim() === task ? '' : current));
    if (state.conversationId) {
      bump(state.conversationId);
    }
    setAnnouncement('Assistant is replying…');
    void chat.send(task, params, {
      onDone: (response, wasNew) => {
        setAnnouncement('Reply received.');
        setParams((current) => ({ ...current, provider: response.provider, model: response.model }));
        bump(response.conversation_id);
        if (wasNew) {
          routeIdRef.current = response.conversation_id;
          navigate({ view: 'chat', conversationId: response.conversation_id }, { replace: true });
        }
      },
      onFail: (failedTask, message) => {
        setAnnouncement('The reply failed.');
        setDraft((current) => (current.trim() === '' ? failedTask : current));
        notify('error', message, { action: { label: 'Retry', onClick: () => sendRef.current(failedTask) } });
      },
    });
    inputRef.current?.focus();
  };
  sendRef.current = send;

  const stop = () => {
    chat.stop();
    setAnnouncement('Stopped.');
  };

  const previewMutation = useMutation({
    mutationFn: (task: string) =>
      api.client.generatePrompt({
        task,
        max_context_units: Math.min(
          LIMITS.maxContexts.max,
          Math.max(LIMITS.maxContexts.min, Math.round(Number(params.maxContexts)) || LIMITS.maxContexts.fallback),
        ),
      }),
  });

  const openPreview = () => {
    const task = draft.trim();
    if (task === '') {
      return;
    }
    setPreview(task);
    previewMutation.mutate(task);
  };

  const title = useMemo(() => {
    if (!state.conversationId) {
      return 'New chat';
    }
    const first = state.messages.find((m) => m.role === 'user');
    return first ? truncate(first.content, 80) : 'Conversation';
  }, [state.conversationId, state.messages]);

  const used = contextsUsed(state.messages);
  const conversationsOpen = wide ? leftOpen : drawer === 'left';
  const contextsOpen = wide ? rightOpen : drawer === 'right';

  return (
    <div className={`chat-page${wide ? ' chat-page--wide' : ''}`}>
      <SidePanel
        id="conversations-panel"
        label="Conversations"
        side="left"
        inline={wide}
        open={conversationsOpen}
        onClose={() => (wide ? setLeftOpen(false) : setDrawer(null))}
      >
        <ConversationList
          selectedId={state.conversationId}
          bumps={bumps}
          onOpen={(id) => {
            setDrawer(null);
            if (id === state.conversationId && conversationId === id) {
              return;
            }
            navigate({ view: 'chat', conversationId: id });
          }}
          onDeleted={(id) => {
            queryClient.removeQueries({ queryKey: queryKeys.conversation(id) });
            if (id === state.conversationId || id === conversationId) {
              startNewChat();
            }
          }}
        />
        <ActivityLog />
      </SidePanel>

      <section className="chat" aria-labelledby="chat-title">
        <header className="chat__header">
          <button
            type="button"
            className="button button--small"
            aria-controls="conversations-panel"
            aria-expanded={conversationsOpen}
            onClick={() => (wide ? setLeftOpen(!leftOpen) : setDrawer('left'))}
          >
            {wide ? (leftOpen ? 'Hide conversations' : 'Show conversations') : 'Conversations'}
          </button>
          <div className="chat__heading">
            <h2 id="chat-title">{title}</h2>
            {state.conversationId ? (
              <p className="muted small">
                {params.model ? <span className="model-badge">{params.model}</span> : null} {used}{' '}
                {used === 1 ? 'context' : 'contexts'} used
              </p>
            ) : null}
          </div>
          <button
            type="button"
            className="button button--small"
            onClick={startNewChat}
            title="Start a new conversation"
          >
            New chat
          </button>
          <button
            type="button"
            className="button button--small"
            aria-controls="contexts-panel"
            aria-expanded={contextsOpen}
            onClick={() => (wide ? setRightOpen(!rightOpen) : setDrawer('right'))}
          >
            {wide ? (rightOpen ? 'Hide contexts' : 'Show contexts') : 'Contexts'}
          </button>
        </header>

        <div className="chat__scroll" ref={listRef}>
          {loadingId ? (
            <p role="status" className="muted center">
              Loading conversation…
            </p>
          ) : null}
          {state.messages.length === 0 && !loadingId ? (
            <div className="welcome">
              <h3>Ready to chat!</h3>
              <p>Ask me anything. I’ll use your personal contexts to provide relevant responses.</p>
              <p className="muted">Available contexts: {stats.data?.active_contexts ?? '…'}</p>
            </div>
          ) : null}
          <ol ref={messagesRef} className="messages" aria-label="Messages">
            {state.messages.map((message) => (
              <MessageBubble key={message.id} message={message} lookup={lookup} />
            ))}
          </ol>
        </div>
        <p className="visually-hidden" role="status">
          {announcement}
        </p>

        <Composer
          ref={inputRef}
          value={draft}
          onChange={setDraft}
          onSend={() => send(draft)}
          onStop={stop}
          onPreview={openPreview}
          streaming={streaming}
          isFollowUp={state.conversationId !== null}
          disabled={loadingId !== null}
        />
        <ChatSettings
          params={params}
          onChange={changeParams}
          providers={providers.data}
          showRefresh={state.conversationId !== null && state.messages.length > 0}
          disabled={streaming}
          initiallyOpen={wide}
        />
      </section>

      <SidePanel
        id="contexts-panel"
        label="Contexts"
        side="right"
        inline={wide}
        open={contextsOpen}
        onClose={() => (wide ? setRightOpen(false) : setDrawer(null))}
      >
        <QuickContexts />
      </SidePanel>

      {preview !== null ? (
        <PromptPreview
          task={preview}
          result={previewMutation.data}
          loading={previewMutation.isPending}
          error={previewMutation.isError ? errorMessage(previewMutation.error, 'Failed to preview the prompt') : null}
          onClose={() => {
            setPreview(null);
            previewMutation.reset();
          }}
        />
      ) : null}
    </div>
  );
}
