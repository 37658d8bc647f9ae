import { WASM_BASE64 } from './int8-dot-wasm.js';

interface KernelExports {
  memory: WebAssembly.Memory;
  scan(data: number, rows: number, dim: number, query: number, out: number): void;
  scan_rows(data: number, dim: number, query: number, list: number, count: number, out: number): void;
  hamming(codes: number, rows: number, bytes: number, query: number, out: number): void;
}

let compiled: WebAssembly.Module | null = null;

const PAGE = 65_536;

/**
 * A growable matrix of int8 rows in WebAssembly memory, each with a sign code (one bit per dimension: value > 0), and
 * SIMD kernels for the dot products of rows with a query row and the Hamming distances of codes to the query's code.
 *
 * Memory layout: [query (int8) | query widened to int16 | query code | out (i32 per row) | row list (i32 per row) |
 * codes | rows]. Rows are padded to a multiple of 32 values, codes to a multiple of 64 bits.
 */
export class Int8Matrix {
  readonly stride: number;
  readonly codeBytes: number;
  private readonly kernel: KernelExports;
  private capacity = 0;
  private readonly wideQueryOffset: number;
  private readonly queryCodeOffset: number;
  private readonly outOffset: number;

  constructor(
    readonly dimension: number,
    initialCapacity: number,
  ) {
    this.stride = Math.ceil(dimension / 32) * 32;
    this.codeBytes = Math.ceil(dimension / 64) * 8;
    compiled ??= new WebAssembly.Module(Buffer.from(WASM_BASE64, 'base64'));
    this.kernel = new WebAssembly.Instance(compiled).exports as unknown as KernelExports;
    this.wideQueryOffset = this.stride;
    this.queryCodeOffset = this.wideQueryOffset + 2 * this.stride;
    this.outOffset = this.queryCodeOffset + this.codeBytes;
    this.grow(Math.max(16, initialCapacity));
  }

  get rowsCapacity(): number {
    return this.capacity;
  }

  private listOffset(capacity = this.capacity): number {
    return this.outOffset + 4 * capacity;
  }

  private codesOffset(capacity = this.capacity): number {
    return this.listOffset(capacity) + 4 * capacity;
  }

  private dataOffset(capacity = this.capacity): number {
    return this.codesOffset(capacity) + this.codeBytes * capacity;
  }

  /** Makes room for at least `rows` rows, keeping the existing ones. */
  grow(rows: number): void {
    if (rows <= this.capacity) {
      return;
    }
    const old = this.capacity;
    const capacity = Math.max(rows, old * 2);
    const needed = this.dataOffset(capacity) + capacity * this.stride;
    const have = this.kernel.memory.buffer.byteLength;
    if (needed > have) {
      this.kernel.memory.grow(Math.ceil((needed - have) / PAGE));
    }
    if (old > 0) {
      // Both blocks move right; the last one first, so neither overwrites the other.
      const bytes = new Uint8Array(this.kernel.memory.buffer);
      bytes.copyWithin(this.dataOffset(capacity), this.dataOffset(old), this.dataOffset(old) + old * this.stride);
      bytes.copyWithin(this.codesOffset(capacity), this.codesOffset(old), this.codesOffset(old) + old * this.codeBytes);
    }
    this.capacity = capacity;
  }

  /** A view on one row, to write its values; call `rowWritten` after (valid until the next `grow`). */
  row(index: number): Int8Array {
    return new Int8Array(this.kernel.memory.buffer, this.dataOffset() + index * this.stride, this.stride);
  }

  /** Updates the sign code of a row from its values. */
  rowWritten(index: number): void {
    const buffer = this.kernel.memory.buffer;
    this.writeCode(
      new Int8Array(buffer, this.dataOffset() + index * this.stride, this.dimension),
      new Uint8Array(buffer, this.codesOffset() + index * this.codeBytes, this.codeBytes),
    );
  }

  /** A view on the query row, to write its values; call `queryWritten` after (valid until the next `grow`). */
  queryRow(): Int8Array {
    return new Int8Array(this.kernel.memory.buffer, 0, this.stride);
  }

  /** Prepares the query for the kernels: its int16 copy and its sign code. */
  queryWritten(): void {
    const buffer = this.kernel.memory.buffer;
    const query = new Int8Array(buffer, 0, this.stride);
    new Int16Array(buffer, this.wideQueryOffset, this.stride).set(query);
    this.writeCode(query.subarray(0, this.dimension), new Uint8Array(buffer, this.queryCodeOffset, this.codeBytes));
  }

  /** Dot products of the query with rows [0, rows): a view valid until the next kernel call or `grow`. */
  scan(rows: number): Int32Array {
    this.kernel.scan(this.dataOffset(), rows, this.stride, this.wideQueryOffset, this.outOffset);
    return new Int32Array(this.kernel.memory.buffer, this.outOffset, rows);
  }

  /** Dot products of the query with the listed rows, in list order: a view valid until the next kernel call. */
  scanRows(rows: ArrayLike<number>): Int32Array {
    const count = rows.length;
    if (count > this.capacity) {
      // The list region holds one entry per row of capacity; a longer list would run into the codes.
      throw new RangeError(`at most ${this.capacity} rows per call, got ${count}`);
    }
    new Int32Array(this.kernel.memory.buffer, this.listOffset(), count).set(rows);
    this.kernel.scan_rows(
      this.dataOffset(),
      this.stride,
      this.wideQueryOffset,
      this.listOffset(),
      count,
      this.outOffset,
    );
    return new Int32Array(this.kernel.memory.buffer, this.outOffset, count);
  }

  /** Hamming distances of the codes of rows [0, rows) to the query's code: a view valid until the next kernel call. */
  hamming(rows: number): Int32Array {
    this.kernel.hamming(this.codesOffset(), rows, this.codeBytes, this.queryCodeOffset, this.outOffset);
    return new Int32Array(this.kernel.memory.buffer, this.outOffset, rows);
  }

  private writeCode(values: Int8Array, code: Uint8Array): void {
    code.fill(0);
    for (let i = 0; i < values.length; i++) {
      if ((values[i] as number) > 0) {
        code[i >> 3] = (code[i >> 3] as number) | (1 << (i & 7));
      }
    }
  }
}
