// Runs a TypeScript worker entry from source (tests, `tsx`): compiled builds start the .js worker directly.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.tsEntry);
