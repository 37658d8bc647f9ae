import { main } from './main.js';

const code = await main(process.argv.slice(2));
// Exit once stdout and stderr are flushed, not when the event loop empties: fetch's idle connection would hold the
// process for a noticeable moment after every command.
process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
