import type { ListContextsParams } from '@contextpilot/client';
import type { ContextUnit, ContextUnitCreate, ContextUnitUpdate, SettingsUpdate } from '@contextpilot/contract';
import { keepPreviousData, useMutation, useQuery, useQueryClient, type QueryClient } from '@tanstack/react-query';
import { useMemo } from 'react';

import { useApi } from './api';

export const queryKeys = {
  contexts: ['contexts'] as const,
  contextList: (params: ListContextsParams) => ['contexts', 'list', params] as const,
  allContexts: ['contexts', 'all'] as const,
  stats: ['stats'] as const,
  providers: ['providers'] as const,
  settings: ['settings'] as const,
  conversations: ['conversations'] as const,
  conversationList: (search: string, limit: number) => ['conversations', 'list', { search, limit }] as const,
  conversation: (id: string) => ['conversations', 'detail', id] as const,
};

/** After any change to contexts: every list and the stats are fetched again. */
export async function refreshContexts(queryClient: QueryClient): Promise<void> {
  await Promise.all([
    queryClient.invalidateQueries({ queryKey: queryKeys.contexts }),
    queryClient.invalidateQueries({ queryKey: queryKeys.stats }),
  ]);
}

export function useStats() {
  const { client } = useApi();
  return useQuery({ queryKey: queryKeys.stats, queryFn: ({ signal }) => client.stats({ signal }) });
}

export function useContextList(params: ListContextsParams) {
  const { client } = useApi();
  return useQuery({
    queryKey: queryKeys.contextList(params),
    queryFn: ({ signal }) => client.listContexts(params, { signal }),
    placeholderData: keepPreviousData,
  });
}

/** Every unit, superseded included, by id: to name the contexts a reply used. */
export function useContextLookup(enabled = true): Map<string, ContextUnit> {
  const { client } = useApi();
  const query = useQuery({
    queryKey: queryKeys.allContexts,
    queryFn: ({ signal }) => client.listContexts({ include_superseded: true, limit: 10_000 }, { signal }),
    enabled,
  });
  return useMemo(() => new Map((query.data ?? []).map((unit) => [unit.id, unit])), [query.data]);
}

export function useProviders() {
  const { client } = useApi();
  return useQuery({ queryKey: queryKeys.providers, queryFn: ({ signal }) => client.listProviders({ signal }) });
}

export function useSettings() {
  const { client } = useApi();
  return useQuery({ queryKey: queryKeys.settings, queryFn: ({ signal }) => client.getSettings({ signal }) });
}

export function useConversations(search: string, limit: number) {
  const { client } = useApi();
  return useQuery({
    queryKey: queryKeys.conversationList(search, limit),
    queryFn: ({ signal }) => client.listConversations({ search: search || undefined, limit }, { signal }),
    placeholderData: keepPreviousData,
  });
}

export function useConversation(id: string | null) {
  const { client } = useApi();
  return useQuery({
    queryKey: queryKeys.conversation(id ?? ''),
    queryFn: ({ signal }) => client.getConversation(id ?? '', { signal }),
    enabled: id !== null,
    staleTime: Infinity,
  });
}

export function useCreateContext() {
  const { client } = useApi();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (input: ContextUnitCreate) => client.createContext(input),
    onSuccess: () => refreshContexts(queryClient),
  });
}

export function useUpdateContext() {
  const { client } = useApi();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ id, patch }: { id: string; patch: ContextUnitUpdate }) => client.updateContext(id, patch),
    onSuccess: () => refreshContexts(queryClient),
  });
}

/** Creates the replacement, then marks the old unit superseded by it. */
export function useSupersedeContext() {
  const { client } = useApi();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async ({ old, replacement }: { old: ContextUnit; replacement: ContextUnitCreate }) => {
      const created = await client.createContext(replacement);
      await client.updateContext(old.id, { status: 'superseded', superseded_by: created.id });
      return created;
    },
    onSettled: () => refreshContexts(queryClient),
  });
}

export function useDeleteContext() {
  const { client } = useApi();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => client.deleteContext(id),
    onSuccess: () => refreshContexts(queryClient),
  });
}

export function useImportContexts() {
  const { client } = useApi();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ name, content, replace }: { name: string; content: Uint8Array; replace: boolean }) =>
      client.importContexts({ name, content }, replace),
    onSettled: () => refreshContexts(queryClient),
  });
}

export function useDeleteConversation() {
  const { client } = useApi();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => client.deleteConversation(id),
    onSuccess: async (_data, id) => {
      queryClient.removeQueries({ queryKey: queryKeys.conversation(id) });
      await queryClient.invalidateQueries({ queryKey: queryKeys.conversations });
    },
  });
}

export function useUpdateSettings() {
  const { client } = useApi();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (update: SettingsUpdate) => client.updateSettings(update),
    onSuccess: async (result) => {
      queryClient.setQueryData(queryKeys.settings, result.settings);
      await Promise.all([
        queryClient.invalidateQueries({ queryKey: queryKeys.settings }),
        queryClient.invalidateQueries({ queryKey: queryKeys.providers }),
      ]);
    },
  });
}
