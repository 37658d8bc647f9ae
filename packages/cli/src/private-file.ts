import { open, unlink } from 'node:fs/promises';

import { CliError, EXIT } from './exit-codes.js';

/** A file just created for what the CLI writes out: written once, or discarded if there is nothing to write. */
export interface PrivateFile {
  write(text: string): Promise<void>;
  /** Nothing came to write: the empty file goes. */
  discard(): Promise<void>;
}

/**
 * Creates `path` for personal data or a key: a new file (an existing one is never replaced, and a planted link is not
 * followed), readable by its owner only. Create it before the request, so that a bad path loses nothing.
 */
export async function createPrivateFile(path: string): Promise<PrivateFile> {
  const handle = await open(path, 'wx', 0o600).catch((error: NodeJS.ErrnoException) => {
    throw new CliError(`Cannot create ${path}: ${error.code ?? error.message}`, EXIT.usage);
  });
  return {
    async write(text) {
      try {
        await handle.writeFile(text);
      } finally {
        await handle.close();
      }
    },
    async discard() {
      await handle.close();
      await unlink(path);
    },
  };
}
