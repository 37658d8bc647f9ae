import { describe, expect, it } from 'vitest';

import { openStorage } from '../storage/open-storage.js';
import { createReplayGuard } from './replay-guard.js';

const SIGNATURE = 'a'.repeat(64);
const OTHER = 'b'.repeat(64);

describe('createReplayGuard', () => {
  it('accepts a signature once, in either case, for twice the max age plus a second', async () => {
    const storage = await openStorage({ kind: 'memory' });
    const guard = createReplayGuard({ store: storage.signatures, maxAgeSeconds: 300 });
    expect(await guard.firstUse(SIGNATURE, 1_000_000)).toBe(true);
    expect(await guard.firstUse(SIGNATURE, 1_000_001)).toBe(false);
    expect(await guard.firstUse(SIGNATURE.toUpperCase(), 1_000_002)).toBe(false);
    expect(await guard.firstUse(OTHER, 1_000_003)).toBe(true);
    expect(await guard.firstUse(SIGNATURE, 1_000_000 + 601_000 - 1)).toBe(false);
    expect(await guard.firstUse(SIGNATURE, 1_000_000 + 601_000)).toBe(true);
    await storage.close();
  });

  it('deletes expired signatures at the first check and again after a thousand checks', async () => {
    const storage = await openStorage({ kind: 'memory' });
    const { signatures } = storage;
    const guard = createReplayGuard({ store: signatures, maxAgeSeconds: 1 });
    await signatures.add(Buffer.alloc(32, 1), 500, 0);
    await guard.firstUse(SIGNATURE, 1_000);
    expect(await signatures.deleteExpired(1_000)).toBe(0);
    for (let i = 2; i <= 1000; i++) {
      await guard.firstUse(i.toString(16).padStart(64, '0'), 1_000 + i);
    }
    await signatures.add(Buffer.alloc(32, 2), 2_000, 0);
    await guard.firstUse(OTHER, 10_000);
    expect(await signatures.deleteExpired(10_000)).toBe(0);
    await storage.close();
  });
});
