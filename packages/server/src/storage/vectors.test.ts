import { describe, expect, it } from 'vitest';

import { bytesToVector, vectorToBytes } from './vectors.js';

describe('vector bytes', () => {
  const values = new Float32Array([0.5, -1.25, 3.4e38, 1e-7]);

  it('round-trips exactly', () => {
    expect(bytesToVector(vectorToBytes(values))).toEqual(values);
  });

  it('views a blob that owns its whole aligned memory without copying', () => {
    const blob = new Uint8Array(values.buffer.slice(0));
    const vector = bytesToVector(blob);
    expect(vector.buffer).toBe(blob.buffer);
    expect(vector).toEqual(values);
  });

  it('copies a slice of a larger buffer, aligned or not, so the larger buffer is not kept', () => {
    const big = new Uint8Array(64);
    for (const offset of [1, 4]) {
      big.set(new Uint8Array(values.buffer), offset);
      const vector = bytesToVector(big.subarray(offset, offset + 16));
      expect(vector.buffer).not.toBe(big.buffer);
      expect(vector).toEqual(values);
    }
  });
});
