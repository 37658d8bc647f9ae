/**
 * Prints where a V8 CPU profile (`.cpuprofile`, as written by `npm run bench -- --profile`) spent its time: the top
 * functions by self time, and self time per package / source folder.
 *
 *   node --import tsx packages/server/bench/profile-top.ts <file.cpuprofile> [--top 30]
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** `file:///…/node_modules/@scope/pkg/…` → `@scope/pkg`; `…/packages/server/src/http/x.ts` → `server/src/http/x.ts`. */
function origin(url: string): string {
  if (url === '') {
    return '(native / V8)';
  }
  if (url.startsWith('node:')) {
    return 'node (built-ins)';
  }
  const modules = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (modules?.[1]) {
    return modules[1];
  }
  const own = /packages\/(.+)$/.exec(url);
  return own?.[1] ?? url.replace(/^file:\/\//, '');
}

/** Self time (ms) per profile node id, from the samples and their time deltas (µs). */
function selfTimes(profile: Profile): Map<number, number> {
  const self = new Map<number, number>();
  for (const [i, id] of profile.samples.entries()) {
    // A sample's time is the delta to the next sample; the last one gets none.
    const next = profile.timeDeltas[i + 1] ?? 0;
    self.set(id, (self.get(id) ?? 0) + next / 1000);
  }
  return self;
}

function main(): void {
  const { values, positionals } = parseArgs({
    args: process.argv.slice(2),
    options: { top: { type: 'string', default: '30' } },
    allowPositionals: true,
  });
  const file = positionals[0];
  if (file === undefined) {
    console.error('usage: profile-top.ts <file.cpuprofile> [--top 30]');
    process.exit(2);
  }
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const self = selfTimes(profile);
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const byFunction = new Map<string, number>();
  const byOrigin = new Map<string, number>();
  for (const [id, ms] of self) {
    const frame = nodes.get(id)?.callFrame;
    if (frame === undefined) {
      continue;
    }
    const name = frame.functionName || '(anonymous)';
    const where = frame.url === '' ? '' : ` ${origin(frame.url)}:${frame.lineNumber + 1}`;
    const special = ['(idle)', '(program)', '(garbage collector)', '(root)'].includes(name);
    const key = special ? name : `${name}${where}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + ms);
    const group = special ? name : origin(frame.url);
    byOrigin.set(group, (byOrigin.get(group) ?? 0) + ms);
  }
  const busy = total - (byFunction.get('(idle)') ?? 0);
  const top = Number(values.top);
  const show = (title: string, map: Map<string, number>) => {
    console.log(`\n${title}`);
    for (const [key, ms] of [...map].sort((a, b) => b[1] - a[1]).slice(0, top)) {
      const share = key === '(idle)' ? '' : `${((ms / busy) * 100).toFixed(1).padStart(5)} % of busy`;
      console.log(`${ms.toFixed(0).padStart(8)} ms  ${share.padEnd(15)}  ${key}`);
    }
  };
  console.log(`${file}: ${(total / 1000).toFixed(1)} s profiled, ${(busy / 1000).toFixed(1)} s busy`);
  show('Self time by package / folder', byOrigin);
  show('Self time by function', byFunction);
}

main();
