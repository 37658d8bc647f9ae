import type { ContextType, ContextUnit, ContextUnitCreate, ContextUnitUpdate } from '@contextpilot/contract';

import { parseTags } from '../../lib/text';
import type { ContextTemplate } from './templates';

/** The context form as typed. `tagText` is a tag being typed; it is kept on submit, never dropped. */
export interface Draft {
  type: ContextType;
  content: string;
  confidence: string;
  tags: string[];
  tagText: string;
  source: string;
}

export const emptyDraft: Draft = {
  type: 'preference',
  content: '',
  confidence: '1',
  tags: [],
  tagText: '',
  source: '',
};

export function draftFromUnit(unit: ContextUnit): Draft {
  return {
    type: unit.type,
    content: unit.content,
    confidence: String(unit.confidence),
    tags: [...unit.tags],
    tagText: '',
    source: unit.source,
  };
}

export function draftFromTemplate(template: ContextTemplate): Draft {
  return {
    ...emptyDraft,
    type: template.type,
    content: template.content,
    confidence: String(template.confidence),
    tags: [...template.tags],
  };
}

/** Tags plus whatever is still in the tag box. */
export function allTags(draft: Draft): string[] {
  const out = [...draft.tags];
  for (const tag of parseTags(draft.tagText)) {
    if (!out.includes(tag)) {
      out.push(tag);
    }
  }
  return out;
}

export interface DraftErrors {
  content?: string;
  confidence?: string;
}

export function validateDraft(draft: Draft): DraftErrors {
  const errors: DraftErrors = {};
  if (draft.content.trim() === '') {
    errors.content = 'Content is required';
  }
  const confidence = Number(draft.confidence);
  if (draft.confidence.trim() === '' || !Number.isFinite(confidence) || confidence < 0 || confidence > 1) {
    errors.confidence = 'Confidence must be a number from 0 to 1';
  }
  return errors;
}

export function toCreate(draft: Draft): ContextUnitCreate {
  const body: ContextUnitCreate = {
    type: draft.type,
    content: draft.content.trim(),
    confidence: Number(draft.confidence),
    tags: allTags(draft),
  };
  if (draft.source.trim()) {
    body.source = draft.source.trim();
  }
  return body;
}

/** Only what changed. */
export function toUpdate(draft: Draft, unit: ContextUnit): ContextUnitUpdate {
  const patch: ContextUnitUpdate = {};
  const content = draft.content.trim();
  if (draft.type !== unit.type) {
    patch.type = draft.type;
  }
  if (content !== unit.content) {
    patch.content = content;
  }
  if (Number(draft.confidence) !== unit.confidence) {
    patch.confidence = Number(draft.confidence);
  }
  const tags = allTags(draft);
  if (tags.length !== unit.tags.length || tags.some((t, i) => t !== unit.tags[i])) {
    patch.tags = tags;
  }
  return patch;
}
