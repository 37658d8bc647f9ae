/**
 * Reading LoCoMo (`locomo-dev.json`, `errors.json`; format in the data folder's README.md) into turns and retrieval
 * questions. The data is CC BY-NC: it is read from outside the repository and nothing derived from it is committed.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** JSON category ids of the questions used as retrieval tasks (5, adversarial, has no answer to retrieve). */
export const CATEGORY_NAMES: Readonly<Record<number, string>> = {
  1: 'multi-hop',
  2: 'temporal',
  3: 'open-domain',
  4: 'single-hop',
};

export interface Turn {
  /** The turn's `dia_id`, e.g. `D3:12`. */
  id: string;
  speaker: string;
  text: string;
  /** BLIP caption of the photo the turn shared (not part of the unit's content; used by an experiment). */
  caption: string | null;
}

export interface Question {
  /** `locomo_<conversation>_qa<index>`, the id `errors.json` uses. */
  id: string;
  category: number;
  text: string;
  /** Evidence turn ids after repair, de-duplicated, all present in the conversation; never empty. */
  gold: string[];
  /** Flagged by the audit (`errors.json`): left out of the clean subset. */
  flagged: boolean;
}

export interface Conversation {
  sampleId: string;
  turns: Turn[];
  questions: Question[];
}

export interface EvidenceStats {
  /** Questions of categories 1–4 before skipping. */
  taskQuestions: number;
  /** Skipped: no valid evidence turn left. */
  skipped: number;
  /** Evidence entries rewritten (split or normalised) to parse. */
  repaired: number;
  /** Evidence ids dropped: unparseable or not a turn of the conversation. */
  dropped: number;
}

export interface Locomo {
  conversations: Conversation[];
  stats: EvidenceStats;
}

interface RawTurn {
  speaker: string;
  dia_id: string;
  text: string;
  blip_caption?: string;
}

interface RawQa {
  question: string;
  evidence?: string[];
  category: number;
}

interface RawConversation {
  sample_id: string;
  conversation: Record<string, unknown>;
  qa: RawQa[];
}

/**
 * Normalises one evidence id: `D30:05` → `D30:5`, `D:11:26` → `D11:26`. Null when it is not a `D<n>:<k>` id.
 */
export function normalizeDiaId(token: string): string | null {
  const match = /^D:?(\d+):(\d+)$/.exec(token.trim());
  if (match === null) {
    return null;
  }
  return `D${Number(match[1])}:${Number(match[2])}`;
}

/**
 * Repairs a question's evidence list: entries holding several ids (`"D8:6; D9:17"`, `"D9:1 D4:4 D4:6"`) are split,
 * each id normalised; ids that do not parse or are not in `turnIds` are dropped. De-duplicated, in order.
 */
export function repairEvidence(
  evidence: readonly string[],
  turnIds: ReadonlySet<string>,
): { gold: string[]; repaired: number; dropped: number } {
  const gold: string[] = [];
  let repaired = 0;
  let dropped = 0;
  for (const entry of evidence) {
    const tokens = entry.split(/[\s;,]+/).filter((t) => t !== '');
    let changed = tokens.length !== 1;
    for (const token of tokens) {
      const id = normalizeDiaId(token);
      if (id === null || !turnIds.has(id)) {
        dropped++;
        continue;
      }
      changed ||= id !== token;
      if (!gold.includes(id)) {
        gold.push(id);
      }
    }
    if (changed) {
      repaired++;
    }
  }
  return { gold, repaired, dropped };
}

/** Turns of every non-empty session, in session order (dates listed for sessions without turns are ignored). */
function readTurns(conversation: Record<string, unknown>): Turn[] {
  const sessions = Object.keys(conversation)
    .map((key) => /^session_(\d+)$/.exec(key))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ key: m[0], n: Number(m[1]) }))
    .sort((a, b) => a.n - b.n);
  const turns: Turn[] = [];
  for (const { key } of sessions) {
    const session = conversation[key];
    if (!Array.isArray(session)) {
      continue;
    }
    for (const raw of session as RawTurn[]) {
      turns.push({ id: raw.dia_id, speaker: raw.speaker, text: raw.text, caption: raw.blip_caption ?? null });
    }
  }
  return turns;
}

function readJson(path: string): unknown {
  return JSON.parse(readFileSync(path, 'utf8')) as unknown;
}

/** The files the evaluation needs in `dir`, or a message saying what is missing. */
export function checkDataDir(dir: string): string | null {
  const missing = ['locomo-dev.json', 'errors.json'].filter((f) => !existsSync(join(dir, f)));
  return missing.length === 0 ? null : `missing ${missing.join(' and ')} in ${dir}`;
}

/** Loads the conversations and their retrieval questions (categories 1–4 with at least one valid evidence turn). */
export function loadLocomo(dir: string): Locomo {
  const raw = readJson(join(dir, 'locomo-dev.json'));
  const errors = readJson(join(dir, 'errors.json'));
  if (!Array.isArray(raw) || !Array.isArray(errors)) {
    throw new Error(`${dir}: locomo-dev.json and errors.json must each hold a JSON array`);
  }
  const flagged = new Set((errors as { question_id: string }[]).map((e) => e.question_id));
  const stats: EvidenceStats = { taskQuestions: 0, skipped: 0, repaired: 0, dropped: 0 };
  const conversations = (raw as RawConversation[]).map((conv, convIndex): Conversation => {
    const turns = readTurns(conv.conversation);
    const turnIds = new Set(turns.map((t) => t.id));
    const questions: Question[] = [];
    conv.qa.forEach((qa, qaIndex) => {
      if (CATEGORY_NAMES[qa.category] === undefined) {
        return;
      }
      stats.taskQuestions++;
      const { gold, repaired, dropped } = repairEvidence(qa.evidence ?? [], turnIds);
      stats.repaired += repaired;
      stats.dropped += dropped;
      if (gold.length === 0) {
        stats.skipped++;
        return;
      }
      const id = `locomo_${convIndex}_qa${qaIndex}`;
      questions.push({ id, category: qa.category, text: qa.question, gold, flagged: flagged.has(id) });
    });
    return { sampleId: conv.sample_id, turns, questions };
  });
  return { conversations, stats };
}

/** The content of a turn's context unit. */
export function turnContent(turn: Turn): string {
  return `${turn.speaker}: ${turn.text}`;
}
