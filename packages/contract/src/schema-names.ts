import { z } from 'zod';

import { AIRequest, AIResponse, ConversationDetail, ConversationList, ConversationSummary, Message } from './chat.js';
import { ProviderInfo, ProvidersResponse, UsedContext, ValidateBody, ValidateResponse } from './chat.js';
import { ContextStatus, ContextType, ContextUnit, ContextUnitCreate, ContextUnitUpdate } from './contexts.js';
import { ImportResult, Stats, SupersedeRequest } from './contexts.js';
import { ErrorEnvelope } from './errors.js';
import { GeneratedPrompt, RankedContextUnit, ScoreBreakdown, TaskRequest } from './prompt.js';
import { RotateKeyResponse, SecurityEvent, SecurityEventList } from './security.js';
import { SettingsResponse, SettingsUpdate, SettingsUpdateResponse } from './settings.js';
import { Health, RootInfo } from './system.js';

/**
 * The request and response schemas by the names the OpenAPI document gives them (`#/components/schemas/<name>`; a
 * request body is listed as `<name>Input`). Query strings and path parameters stay inline: the document lists them
 * as parameters, one by one.
 */
export const SCHEMA_NAMES = {
  AIRequest,
  AIResponse,
  ContextStatus,
  ContextType,
  ContextUnit,
  ContextUnitCreate,
  ContextUnitUpdate,
  ConversationDetail,
  ConversationList,
  ConversationSummary,
  ErrorEnvelope,
  GeneratedPrompt,
  Health,
  ImportResult,
  Message,
  ProviderInfo,
  ProvidersResponse,
  RankedContextUnit,
  RootInfo,
  RotateKeyResponse,
  ScoreBreakdown,
  SecurityEvent,
  SecurityEventList,
  SettingsResponse,
  SettingsUpdate,
  SettingsUpdateResponse,
  Stats,
  SupersedeRequest,
  TaskRequest,
  UsedContext,
  ValidateBody,
  ValidateResponse,
} as const;

// zod's global registry is where the OpenAPI generator looks schemas up; the id is added to what the registry
// already holds for the schema (its description), as `.meta({ id })` would, without making a copy of the schema.
for (const [id, schema] of Object.entries(SCHEMA_NAMES)) {
  z.globalRegistry.add(schema, { ...z.globalRegistry.get(schema), id });
}
