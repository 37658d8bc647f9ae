/** Float32 vectors as little-endian bytes, the way both SQL back ends store them. */
export function vectorToBytes(vector: Float32Array): Buffer {
  return Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength);
}

export function bytesToVector(bytes: Uint8Array): Float32Array {
  // A blob that owns its whole, aligned memory (SQLite's driver copies each one) is viewed in place: no second copy
  // of every vector while an index loads. A slice of a larger buffer (a network read) is copied, so that it neither
  // is misaligned nor keeps the larger buffer alive.
  if (bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.byteLength % 4 === 0) {
    return new Float32Array(bytes.buffer, 0, bytes.byteLength / 4);
  }
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return new Float32Array(copy.buffer);
}
