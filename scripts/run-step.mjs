// Runs one slow step of `npm start` / `npm test` (install, build) with its output shown as it comes, and a line
// every 15 seconds while it runs, so a first start never looks stuck.
import { spawn } from 'node:child_process';
import { clearInterval, setInterval } from 'node:timers';

const HEARTBEAT_MS = 15_000;

/** Runs `command args` in `cwd` with inherited output; resolves to its exit code. `doing` names the step. */
export function runStep(doing, command, args, cwd) {
  const started = Date.now();
  const seconds = () => Math.round((Date.now() - started) / 1000);
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd, stdio: 'inherit' });
    const timer = setInterval(() => console.log(`  … still ${doing} (${seconds()} s)`), HEARTBEAT_MS);
    const done = (code) => {
      clearInterval(timer);
      if (code === 0) {
        console.log(`  done in ${seconds()} s`);
      }
      resolve(code);
    };
    child.on('error', (error) => {
      console.error(`Could not run ${command}: ${error.message}`);
      done(1);
    });
    child.on('exit', (code, signal) => done(code ?? (signal ? 1 : 0)));
  });
}
