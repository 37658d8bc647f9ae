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

/** Rows scored exactly per hit asked for, when a large index is searched through the sign-code shortlist. */
export const SHORTLIST_PER_HIT = 10;
/** The shortlist is never shorter than this; indexes up to four times this size are always scanned in full. */
export const MIN_SHORTLIST = 1000;

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
  private lastScored = 0;

  constructor(
    readonly dimension: number,
    initialRows = 1024,
  ) {
    this.matrix = new Int8Matrix(dimension, initialRows);
    this.scales = new Float32Array(this.matrix.rowsCapacity);
    this.owners = new Int32Array(this.matrix.rowsCapacity).fill(-1);
  }

  /** Rows the last `search` scored with their int8 values (all rows, or the shortlist). */
  get lastSearchScoredRows(): number {
    return this.lastScored;
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
      this.matrix.rowWritten(row);
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

  /**
   * The `k` active units most similar to the query (best chunk each), most similar first. A large index is searched
   * in two stages: the sign codes (one bit per dimension, an eighth of the bytes of the int8 rows) pick a shortlist
   * of `SHORTLIST_PER_HIT · k` rows (at least `MIN_SHORTLIST`) by Hamming distance, and only those, with the other
   * chunks of their units, are scored with the int8 values. The scores are the same as a full scan's; a unit can
   * only be missed when its sign code is far from the query's while its int8 score would be among the top `k`.
   * `exhaustive` scores every row (for measuring the shortlist's recall).
   */
  search(queryVector: Float32Array, k: number, options: { exhaustive?: boolean } = {}): VectorHit[] {
    this.checkDimension(queryVector);
    if (k <= 0 || this.slots.size === 0) {
      return [];
    }
    const qScale = this.setQuery(queryVector);
    const shortlist = Math.max(MIN_SHORTLIST, k * SHORTLIST_PER_HIT);
    if (options.exhaustive !== true && this.rowCount > 4 * shortlist) {
      return this.searchShortlist(qScale, shortlist, k);
    }
    this.lastScored = this.rowCount;
    return this.topK(this.scanBest(qScale), k);
  }

  /** Similarity of the best chunk of each listed unit (units not indexed are left out). */
  similarities(queryVector: Float32Array, ids: Iterable<string>): Map<string, number> {
    this.checkDimension(queryVector);
    const qScale = this.setQuery(queryVector);
    const rows: number[] = [];
    const ends: { id: string; end: number }[] = [];
    for (const id of ids) {
      const slot = this.slots.get(id);
      if (slot !== undefined) {
        rows.push(...this.rowsOf(slot));
        ends.push({ id, end: rows.length });
      }
    }
    const dots = this.matrix.scanRows(rows);
    const out = new Map<string, number>();
    let start = 0;
    for (const { id, end } of ends) {
      let best = -Infinity;
      for (let i = start; i < end; i++) {
        best = Math.max(best, (dots[i] as number) * qScale * (this.scales[rows[i] as number] as number));
      }
      out.set(id, best);
      start = end;
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

  /** Writes the query into the matrix; returns its quantisation scale. */
  private setQuery(queryVector: Float32Array): number {
    const qScale = quantize(queryVector, this.matrix.queryRow(), 0);
    this.matrix.queryWritten();
    return qScale;
  }

  /** Best similarity per slot, -Infinity for slots not scored (reused between queries: 400 KB at 100k units). */
  private freshBest(): Float32Array {
    if (this.bestScratch.length < this.slotIds.length) {
      this.bestScratch = new Float32Array(this.slotActive.length);
    }
    return this.bestScratch.subarray(0, this.slotIds.length).fill(-Infinity);
  }

  /** The shortlist stages of `search`: rows closest by sign code, then those units scored exactly. */
  private searchShortlist(qScale: number, shortlist: number, k: number): VectorHit[] {
    const owners = this.owners;
    const active = this.slotActive;
    const distances = this.matrix.hamming(this.rowCount);
    // Distances are integers in [0, dimension]: count them, then find the distance that closes the shortlist.
    const histogram = new Int32Array(this.dimension + 2);
    for (let row = 0; row < this.rowCount; row++) {
      const slot = owners[row] as number;
      if (slot >= 0 && active[slot] === 1) {
        const distance = distances[row] as number;
        histogram[distance] = (histogram[distance] as number) + 1;
      }
    }
    let cutoff = 0;
    let below = 0;
    while (cutoff <= this.dimension && below + (histogram[cutoff] as number) < shortlist) {
      below += histogram[cutoff] as number;
      cutoff++;
    }
    let atCutoff = shortlist - below;
    // Every chunk of a shortlisted unit, a unit's rows side by side; `slots` marks where each unit's rows start.
    const rows: number[] = [];
    const slots: number[] = [];
    const starts: number[] = [];
    const taken = new Uint8Array(this.slotIds.length);
    for (let row = 0; row < this.rowCount; row++) {
      const slot = owners[row] as number;
      if (slot < 0 || active[slot] === 0 || taken[slot] === 1) {
        continue;
      }
      const distance = distances[row] as number;
      if (distance < cutoff || (distance === cutoff && atCutoff-- > 0)) {
        taken[slot] = 1;
        slots.push(slot);
        starts.push(rows.length);
        rows.push(...this.rowsOf(slot));
      }
    }
    const dots = this.matrix.scanRows(rows);
    this.lastScored = rows.length;
    const top = new TopHits(k);
    for (let u = 0; u < slots.length; u++) {
      let best = -Infinity;
      const end = starts[u + 1] ?? rows.length;
      for (let i = starts[u] as number; i < end; i++) {
        best = Math.max(best, (dots[i] as number) * qScale * (this.scales[rows[i] as number] as number));
      }
      // Rounded as the full scan's Float32Array rounds it, so both paths report the same score.
      top.offer(this.slotIds[slots[u] as number] as string, Math.fround(best));
    }
    return top.hits;
  }

  /** Every row scored with its int8 values. */
  private scanBest(qScale: number): Float32Array {
    const best = this.freshBest();
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

  /** Rows that can be added without growing the index. */
  get spareRows(): number {
    return this.scales.length - this.rowCount + this.freeRows.length;
  }

  /**
   * Makes room for `rows` more rows. Growing moves every row already stored (tens of ms at 100k rows), so a caller
   * that knows many vectors are coming (an import waiting to be embedded) reserves room while the index is small.
   */
  reserve(rows: number): void {
    if (rows > this.spareRows) {
      this.growRows(this.rowCount + rows);
    }
  }

  private topK(best: Float32Array, k: number): VectorHit[] {
    const top = new TopHits(k);
    for (let slot = 0; slot < best.length; slot++) {
      const s = best[slot] as number;
      const id = this.slotIds[slot];
      if (s !== -Infinity && top.accepts(s) && id !== null && id !== undefined) {
        top.offer(id, s);
      }
    }
    return top.hits;
  }

  private allocRow(): number {
    const free = this.freeRows.pop();
    if (free !== undefined) {
      return free;
    }
    if (this.rowCount === this.scales.length) {
      this.growRows(this.rowCount + 1);
    }
    return this.rowCount++;
  }

  private growRows(rows: number): void {
    this.matrix.grow(rows);
    const capacity = this.matrix.rowsCapacity;
    const scales = new Float32Array(capacity);
    scales.set(this.scales);
    this.scales = scales;
    const owners = new Int32Array(capacity).fill(-1);
    owners.set(this.owners);
    this.owners = owners;
  }
}

/** The `k` best hits offered, most similar first; among equal scores the first offered stays ahead. */
class TopHits {
  readonly hits: VectorHit[] = [];
  private floor = -Infinity;

  constructor(private readonly k: number) {}

  accepts(similarity: number): boolean {
    return this.hits.length < this.k || similarity > this.floor;
  }

  offer(id: string, similarity: number): void {
    if (!this.accepts(similarity)) {
      return;
    }
    // A small sorted buffer: k is at most a few hundred.
    let at = this.hits.length;
    while (at > 0 && (this.hits[at - 1] as VectorHit).similarity < similarity) {
      at--;
    }
    this.hits.splice(at, 0, { id, similarity });
    if (this.hits.length > this.k) {
      this.hits.pop();
    }
    this.floor = this.hits.length >= this.k ? (this.hits[this.hits.length - 1] as VectorHit).similarity : -Infinity;
  }
}
