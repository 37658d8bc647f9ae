import { VectorIndex } from '../src/domain/vector-index.ts';
const dim = 512;
function rnd() { const v = new Float32Array(dim); let s = 0; for (let i = 0; i < dim; i++) { v[i] = Math.random() - 0.5; s += v[i]! * v[i]!; } s = Math.sqrt(s); for (let i = 0; i < dim; i++) v[i]! /= s; return v; }
for (const n of [10000, 100000]) {
  const idx = new VectorIndex(dim);
  for (let i = 0; i < n; i++) idx.upsert('id' + i, [rnd()], true);
  const q = rnd();
  for (let i = 0; i < 20; i++) idx.search(q, 50);
  const times: number[] = [];
  for (let i = 0; i < 100; i++) { const t = performance.now(); idx.search(rnd(), 50); times.push(performance.now() - t); }
  times.sort((a, b) => a - b);
  console.log(n, 'p50', times[50]!.toFixed(2), 'p95', times[95]!.toFixed(2));
}
