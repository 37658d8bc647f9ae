import { usageError } from './exit-codes.js';

/** Most the CLI reads from standard input: more than any request the server accepts. */
const MAX_STDIN_BYTES = 32 * 1024 * 1024;

/** All of standard input as UTF-8. */
export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buffer.length;
    if (size > MAX_STDIN_BYTES) {
      throw usageError(`Standard input is larger than ${MAX_STDIN_BYTES / 1024 / 1024} MiB`);
    }
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** A text argument, where `-` means standard input (for text with quotes or many lines). */
export async function textArgument(value: string, name: string): Promise<string> {
  const text = value === '-' ? (await readStdin()).replace(/\r?\n$/, '') : value;
  if (text.trim() === '') {
    throw usageError(`The ${name} is empty`);
  }
  return text;
}
