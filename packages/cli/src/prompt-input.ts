import { createInterface } from 'node:readline/promises';
import { Writable } from 'node:stream';

/**
 * Asks a question on the terminal (stderr) and reads the answer; with `hidden`, what is typed is not echoed (for a
 * key or a secret).
 */
export async function ask(question: string, hidden = false): Promise<string> {
  let muted = false;
  const echo = new Writable({
    write(chunk: Buffer, _encoding, done) {
      if (!muted) {
        process.stderr.write(chunk);
      }
      done();
    },
  });
  const reader = createInterface({ input: process.stdin, output: echo, terminal: true });
  try {
    const answer = reader.question(question);
    muted = hidden;
    return (await answer).trim();
  } finally {
    muted = false;
    reader.close();
    if (hidden) {
      process.stderr.write('\n');
    }
  }
}
