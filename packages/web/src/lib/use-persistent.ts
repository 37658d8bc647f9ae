import { useCallback, useState } from 'react';

import { readStorage, writeStorage } from './storage';

/** A boolean UI preference remembered in localStorage (panel open or closed). */
export function usePersistentFlag(key: string, fallback: boolean): [boolean, (next: boolean) => void] {
  const [value, setValue] = useState(() => {
    const saved = readStorage('local', key);
    return saved === null ? fallback : saved === 'true';
  });
  const set = useCallback(
    (next: boolean) => {
      setValue(next);
      writeStorage('local', key, String(next));
    },
    [key],
  );
  return [value, set];
}
