/**
 * A file cache of embedding vectors so that reruns of the evaluation skip the model. One file per model id under
 * the cache folder, keyed by the SHA-256 of the kind (document/query) and the text:
 *
 *   "CPVCACH1" | u32 dimension | u32 len | model id (UTF-8, len bytes) | u32 count |
 *   count × ( 32-byte key | u32 chunks | chunks × dimension × f32 )          all little-endian
 *
 * Written whole to a temporary file and renamed, so a crash never leaves a torn cache.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { bytesToVector, vectorToBytes } from '../src/storage/vectors.js';

const MAGIC = 'CPVCACH1';

export type EmbeddingKind = 'document' | 'query';

export interface VectorCache {
  readonly file: string;
  readonly size: number;
  get(kind: EmbeddingKind, text: string): Float32Array[] | undefined;
  set(kind: EmbeddingKind, text: string, vectors: readonly Float32Array[]): void;
  /** Writes the cache if anything was added since it was read. */
  save(): void;
}

function cacheKey(kind: EmbeddingKind, text: string): string {
  return createHash('sha256').update(kind).update('\0').update(text).digest('hex');
}

/** Entries of a cache file, or why it is not a usable cache of this model. */
function readCacheFile(
  file: string,
  modelId: string,
  dimension: number,
): { entries: Map<string, Float32Array[]> } | { reason: string } {
  const buf = readFileSync(file);
  let at = 0;
  const need = (n: number) => at + n <= buf.length;
  if (!need(MAGIC.length + 8) || buf.toString('latin1', 0, MAGIC.length) !== MAGIC) {
    return { reason: 'not a vector cache' };
  }
  at = MAGIC.length;
  const dim = buf.readUInt32LE(at);
  const idLength = buf.readUInt32LE(at + 4);
  at += 8;
  if (!need(idLength + 4) || dim !== dimension || buf.toString('utf8', at, at + idLength) !== modelId) {
    return { reason: 'written for another model' };
  }
  at += idLength;
  const count = buf.readUInt32LE(at);
  at += 4;
  const entries = new Map<string, Float32Array[]>();
  const vectorBytes = dimension * 4;
  for (let i = 0; i < count; i++) {
    if (!need(36)) {
      return { reason: 'truncated' };
    }
    const key = buf.toString('hex', at, at + 32);
    const chunks = buf.readUInt32LE(at + 32);
    at += 36;
    if (!need(chunks * vectorBytes)) {
      return { reason: 'truncated' };
    }
    const vectors: Float32Array[] = [];
    for (let c = 0; c < chunks; c++) {
      vectors.push(bytesToVector(buf.subarray(at, at + vectorBytes)));
      at += vectorBytes;
    }
    entries.set(key, vectors);
  }
  return { entries };
}

function encodeCache(modelId: string, dimension: number, entries: ReadonlyMap<string, Float32Array[]>): Buffer {
  const parts: Buffer[] = [Buffer.from(MAGIC, 'latin1')];
  const id = Buffer.from(modelId, 'utf8');
  const header = Buffer.alloc(8);
  header.writeUInt32LE(dimension, 0);
  header.writeUInt32LE(id.length, 4);
  const count = Buffer.alloc(4);
  count.writeUInt32LE(entries.size, 0);
  parts.push(header, id, count);
  for (const [key, vectors] of entries) {
    const head = Buffer.alloc(36);
    head.write(key, 0, 'hex');
    head.writeUInt32LE(vectors.length, 32);
    parts.push(head, ...vectors.map(vectorToBytes));
  }
  return Buffer.concat(parts);
}

/**
 * Opens the cache of `modelId` in `dir` (empty when there is none yet). A file that is unreadable as a cache of this
 * model is reported through `onNotice` and replaced on the next save.
 */
export function openVectorCache(
  dir: string,
  modelId: string,
  dimension: number,
  onNotice: (message: string) => void,
): VectorCache {
  const file = join(dir, `${modelId.replace(/[^A-Za-z0-9._-]+/g, '_')}.vectors.bin`);
  let entries = new Map<string, Float32Array[]>();
  if (existsSync(file)) {
    const read = readCacheFile(file, modelId, dimension);
    if ('reason' in read) {
      onNotice(`ignoring vector cache ${file}: ${read.reason}; it will be rebuilt`);
    } else {
      entries = read.entries;
    }
  }
  let dirty = false;
  return {
    file,
    get size() {
      return entries.size;
    },
    get: (kind, text) => entries.get(cacheKey(kind, text)),
    set(kind, text, vectors) {
      for (const v of vectors) {
        if (v.length !== dimension) {
          throw new Error(`vector of ${v.length} dimensions, the cache holds ${dimension}`);
        }
      }
      entries.set(cacheKey(kind, text), [...vectors]);
      dirty = true;
    },
    save() {
      if (!dirty) {
        return;
      }
      mkdirSync(dir, { recursive: true });
      const tmp = `${file}.${process.pid}.tmp`;
      writeFileSync(tmp, encodeCache(modelId, dimension, entries));
      renameSync(tmp, file);
      dirty = false;
    },
  };
}
