import { WASM_BASE64 } from './int8-dot-wasm.js';

interface KernelExports {
  memory: WebAssembly.Memory;
  scan(data: number, rows: number, dim: number, query: number, out: number): void;
}

let compiled: WebAssembly.Module | null = null;

const PAGE = 65_536;

/**
 * A growable matrix of int8 rows in WebAssembly memory with a SIMD kernel that computes the dot product of every
 * row with a query row. Layout of the memory: [query (int8) | query widened to int16 | out (i32 per row) | rows].
 */
export class Int8Matrix {
  readonly stride: number;
  private readonly kernel: KernelExports;
  private capacity: number;
  private readonly wideQueryOffset: number;
  private readonly outOffset: number;

  constructor(
    readonly dimension: number,
    initialCapacity: number,
  ) {
    // The kernel reads 32 lanes per step: pad rows with zeros to a multiple of 32.
    this.stride = Math.ceil(dimension / 32) * 32;
    compiled ??= new WebAssembly.Module(Buffer.from(WASM_BASE64, 'base64'));
    this.kernel = new WebAssembly.Instance(compiled).exports as unknown as KernelExports;
    this.wideQueryOffset = this.stride;
    this.outOffset = this.wideQueryOffset + 2 * this.stride;
    this.capacity = 0;
    this.grow(Math.max(16, initialCapacity));
  }

  get rowsCapacity(): number {
    return this.capacity;
  }

  private get dataOffset(): number {
    return this.outOffset + 4 * this.capacity;
  }

  /** Makes room for at least `rows` rows, keeping the existing ones. */
  grow(rows: number): void {
    if (rows <= this.capacity) {
      return;
    }
    const oldDataOffset = this.dataOffset;
    const oldBytes = this.capacity * this.stride;
    const newCapacity = Math.max(rows, this.capacity * 2);
    const needed = this.outOffset + 4 * newCapacity + newCapacity * this.stride;
    const have = this.kernel.memory.buffer.byteLength;
    if (needed > have) {
      this.kernel.memory.grow(Math.ceil((needed - have) / PAGE));
    }
    this.capacity = newCapacity;
    if (oldBytes > 0) {
      new Uint8Array(this.kernel.memory.buffer).copyWithin(this.dataOffset, oldDataOffset, oldDataOffset + oldBytes);
    }
  }

  /** A view on one row (valid until the next `grow`). */
  row(index: number): Int8Array {
    return new Int8Array(this.kernel.memory.buffer, this.dataOffset + index * this.stride, this.stride);
  }

  /** A view on the query row (valid until the next `grow`). */
  queryRow(): Int8Array {
    return new Int8Array(this.kernel.memory.buffer, 0, this.stride);
  }

  /** Dot products of the query row with rows [0, rows): a view valid until the next call or `grow`. */
  scan(rows: number): Int32Array {
    const buffer = this.kernel.memory.buffer;
    new Int16Array(buffer, this.wideQueryOffset, this.stride).set(new Int8Array(buffer, 0, this.stride));
    this.kernel.scan(this.dataOffset, rows, this.stride, this.wideQueryOffset, this.outOffset);
    return new Int32Array(buffer, this.outOffset, rows);
  }

  /** Dot product of the query row with a single row. */
  dotRow(index: number): number {
    const a = this.row(index);
    const q = this.queryRow();
    let s = 0;
    for (let i = 0; i < this.dimension; i++) {
      s += (a[i] as number) * (q[i] as number);
    }
    return s;
  }
}
