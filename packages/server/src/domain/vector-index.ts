/**
 * In-memory exact nearest-neighbour index over chunk vectors, quantised to int8 (a quarter of the memory of float32,
 * with recall@20 ≈ 0.99 on unit vectors). A unit scores by its best chunk. Pure data structure: no I/O.
 *
 *   v ≈ scale_v · q_v  with  q_v = round(v / scale_v),  scale_v = max|v_i| / 127
 *   cos(a, b) ≈ scale_a · scale_b · Σ q_a,i · q_b,i      (vectors are L2-normalised)
 */
export interface VectorHit {
  id: string;
  similarity: number;
}

import { Int8Matrix } from './wasm/int8-matrix.js';

export function quantize(vector: Float32Array, out: Int8Array, offset: number): number {
  let max = 0;
  for (const x of vector) {
    const a = Math.abs(x);
    if (a > max) {
      max = a;
    }
  }
  const scale = max > 0 ? max / 127 : 1;
  for (let i = 0; i < vector.length; i++) {
    out[offset + i] = Math.round((vector[i] ?? 0) / scale);
  }
  return scale;
}

export class VectorIndex {
  private readonly matrix: Int8Matrix;
  private scales: Float32Array;
  /** Unit slot of each row, -1 for a free row. */
  private owners: Int32Array;
  private rowCount = 0;
  private freeRows: number[] = [];
  // Per unit only a slot number; everything else lives in arrays indexed by slot (no object per unit: at 100k units
  // the objects and their row lists took about 9 MB).
  private readonly slots = new Map<string, number>();
  private slotIds: (string | null)[] = [];
  private slotActive: Uint8Array = new Uint8Array(1024);
  /** First row of each slot; a unit's further chunks (rare) are in `extraRows`. */
  private slotFirstRow: Int32Array = new Int32Array(1024);
  private readonly extraRows = new Map<number, number[]>();
  private freeSlots: number[] = [];
  private bestScratch = new Float32Array(0);

  constructor(
    readonly dimension: number,
    initialRows = 1024,
  ) {
    this.matrix = new Int8Matrix(dimension, initialRows);
    this.scales = new Float32Array(this.matrix.rowsCapacity);
    this.owners = new Int32Array(this.matrix.rowsCapacity).fill(-1);
  }

  /** Number of units indexed. */
  get size(): number {
    return this.slots.size;
  }

  has(id: string): boolean {
    return this.slots.has(id);
  }

  /** Adds or replaces the chunk vectors of a unit. Only active units are returned by `search`. */
  upsert(id: string, vectors: readonly Float32Array[], active: boolean): void {
    // Check every vector before touching the index: a throw half-way used to leave rows owned by a slot that no
    // unit points to (a ghost hit that `remove` could not delete).
    for (const vector of vectors) {
      this.checkDimension(vector);
    }
    this.remove(id);
    if (vectors.length === 0) {
      return;
    }
    const slot = this.freeSlots.pop() ?? this.slotIds.length;
    if (slot === this.slotIds.length) {
      this.slotIds.push(id);
    } else {
      this.slotIds[slot] = id;
    }
    if (slot >= this.slotActive.length) {
      this.growSlots();
    }
    this.slotActive[slot] = active ? 1 : 0;
    const rows: number[] = [];
    for (const vector of vectors) {
      const row = this.allocRow();
      this.scales[row] = quantize(vector, this.matrix.row(row), 0);
      this.owners[row] = slot;
      rows.push(row);
    }
    this.slotFirstRow[slot] = rows[0] as number;
    if (rows.length > 1) {
      this.extraRows.set(slot, rows.slice(1));
    }
    this.slots.set(id, slot);
  }

  setActive(id: string, active: boolean): void {
    const slot = this.slots.get(id);
    if (slot !== undefined) {
      this.slotActive[slot] = active ? 1 : 0;
    }
  }

  remove(id: string): void {
    const slot = this.slots.get(id);
    if (slot === undefined) {
      return;
    }
    for (const row of this.rowsOf(slot)) {
      this.owners[row] = -1;
      this.freeRows.push(row);
    }
    this.extraRows.delete(slot);
    this.slotIds[slot] = null;
    this.slotActive[slot] = 0;
    this.freeSlots.push(slot);
    this.slots.delete(id);
  }

  clear(): void {
    for (const id of [...this.slots.keys()]) {
      this.remove(id);
    }
  }

  /** The `k` active units most similar to the query (best chunk each), most similar first. */
  search(queryVector: Float32Array, k: number): VectorHit[] {
    this.checkDimension(queryVector);
    if (k <= 0 || this.slots.size === 0) {
      return [];
    }
    const best = this.scanBest(queryVector);
    return this.topK(best, k);
  }

  /** Similarity of the best chunk of each listed unit (units not indexed are left out). */
  similarities(queryVector: Float32Array, ids: Iterable<string>): Map<string, number> {
    this.checkDimension(queryVector);
    const qScale = quantize(queryVector, this.matrix.queryRow(), 0);
    const out = new Map<string, number>();
    for (const id of ids) {
      const slot = this.slots.get(id);
      if (slot === undefined) {
        continue;
      }
      let best = -Infinity;
      for (const row of this.rowsOf(slot)) {
        const s = this.matrix.dotRow(row) * qScale * (this.scales[row] ?? 0);
        if (s > best) {
          best = s;
        }
      }
      out.set(id, best);
    }
    return out;
  }

  private rowsOf(slot: number): number[] {
    const first = this.slotFirstRow[slot] as number;
    const extra = this.extraRows.get(slot);
    return extra === undefined ? [first] : [first, ...extra];
  }

  private growSlots(): void {
    const active = new Uint8Array(this.slotActive.length * 2);
    active.set(this.slotActive);
    this.slotActive = active;
    const firstRow = new Int32Array(this.slotFirstRow.length * 2);
    firstRow.set(this.slotFirstRow);
    this.slotFirstRow = firstRow;
  }

  /** A query of the wrong length would otherwise be truncated, or mixed with the previous query's tail. */
  private checkDimension(vector: Float32Array): void {
    if (vector.length !== this.dimension) {
      throw new Error(`vector has ${vector.length} dimensions, index expects ${this.dimension}`);
    }
  }

  private scanBest(queryVector: Float32Array): Float32Array {
    const qScale = quantize(queryVector, this.matrix.queryRow(), 0);
    // Reused between scans: a fresh array per query is 400 KB of garbage at 100k units.
    if (this.bestScratch.length < this.slotIds.length) {
      this.bestScratch = new Float32Array(this.slotActive.length);
    }
    const best = this.bestScratch.subarray(0, this.slotIds.length).fill(-Infinity);
    const owners = this.owners;
    const active = this.slotActive;
    const scales = this.scales;
    const dots = this.matrix.scan(this.rowCount);
    for (let row = 0; row < this.rowCount; row++) {
      const slot = owners[row] as number;
      if (slot < 0 || active[slot] === 0) {
        continue;
      }
      const s = (dots[row] as number) * qScale * (scales[row] as number);
      if (s > (best[slot] as number)) {
        best[slot] = s;
      }
    }
    return best;
  }

  private topK(best: Float32Array, k: number): VectorHit[] {
    // Keep a small sorted buffer: k is at most a few hundred.
    const hits: VectorHit[] = [];
    let floor = -Infinity;
    for (let slot = 0; slot < best.length; slot++) {
      const s = best[slot] as number;
      if (s === -Infinity || (hits.length >= k && s <= floor)) {
        continue;
      }
      const id = this.slotIds[slot];
      if (id === null || id === undefined) {
        continue;
      }
      let at = hits.length;
      while (at > 0 && (hits[at - 1] as VectorHit).similarity < s) {
        at--;
      }
      hits.splice(at, 0, { id, similarity: s });
      if (hits.length > k) {
        hits.pop();
      }
      floor = hits.length >= k ? (hits[hits.length - 1] as VectorHit).similarity : -Infinity;
    }
    return hits;
  }

  private allocRow(): number {
    const free = this.freeRows.pop();
    if (free !== undefined) {
      return free;
    }
    if (this.rowCount === this.scales.length) {
      this.matrix.grow(this.rowCount + 1);
      const capacity = this.matrix.rowsCapacity;
      const scales = new Float32Array(capacity);
      scales.set(this.scales);
      this.scales = scales;
      const owners = new Int32Array(capacity).fill(-1);
      owners.set(this.owners);
      this.owners = owners;
    }
    return this.rowCount++;
  }
}
