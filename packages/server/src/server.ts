// The entry point of `node packages/server/dist/server.js`. `run.js` sets V8 flags before loading the rest.
import { runServer } from './run.js';

runServer().catch((error: unknown) => {
  process.stderr.write(`ContextPilot failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
