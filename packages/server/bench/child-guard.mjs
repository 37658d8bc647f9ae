// Preloaded into each server the benchmark starts (`node --import`): when the benchmark process goes away, even
// killed, its IPC channel closes and the server shuts down as on Ctrl-C instead of lingering. The channel is unref'd
// so it never keeps the server alive, and nothing else in the server sees it.
import process from 'node:process';
import { setTimeout } from 'node:timers';

if (process.channel) {
  process.channel.unref();
  process.on('disconnect', () => {
    process.kill(process.pid, 'SIGTERM');
    setTimeout(() => process.exit(1), 15_000).unref();
  });
}
