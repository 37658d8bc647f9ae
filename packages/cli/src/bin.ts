import { main } from './main.js';

// Waiting for the output to drain before exiting: a large export piped to another program must arrive whole.
const code = await main(process.argv.slice(2));
process.exitCode = code;
