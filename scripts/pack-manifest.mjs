// The package.json that ships in a tarball of an installable package (contract, client) has no `development`
// export condition. In the repository that condition sends tsc, vitest and vite to the TypeScript sources; a tarball
// holds no sources, and bundlers turn the condition on in development mode (Vite, webpack), so it would send them to
// files that are not there.
//
// Run from the package's folder, as its `prepack` (after the build) and `postpack` scripts:
//   node ../../scripts/pack-manifest.mjs strip     keeps package.json aside and writes it without the condition
//   node ../../scripts/pack-manifest.mjs restore   puts the kept package.json back (nothing to do if none was kept)
import { existsSync } from 'node:fs';
import { copyFile, readFile, rename, writeFile } from 'node:fs/promises';
import process from 'node:process';

const MANIFEST = 'package.json';
const KEPT = 'package.json.before-pack';
const CONDITION = 'development';

/**
 * `exports` without the condition, at any depth of nested conditions.
 * @param {unknown} value
 * @returns {unknown}
 */
function withoutCondition(value) {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return value;
  }
  return Object.fromEntries(
    Object.entries(value)
      .filter(([key]) => key !== CONDITION)
      .map(([key, inner]) => [key, withoutCondition(inner)]),
  );
}

async function strip() {
  if (existsSync(KEPT)) {
    throw new Error(
      `${KEPT} exists: an earlier pack did not finish. Run \`node ../../scripts/pack-manifest.mjs restore\` first.`,
    );
  }
  /** @type {{ exports?: unknown }} */
  const manifest = JSON.parse(await readFile(MANIFEST, 'utf8'));
  await copyFile(MANIFEST, KEPT);
  manifest.exports = withoutCondition(manifest.exports);
  await writeFile(MANIFEST, `${JSON.stringify(manifest, null, 2)}\n`);
}

async function restore() {
  if (existsSync(KEPT)) {
    await rename(KEPT, MANIFEST);
  }
}

const command = process.argv[2];
if (command === 'strip') {
  await strip();
} else if (command === 'restore') {
  await restore();
} else {
  throw new Error('usage: node pack-manifest.mjs strip|restore');
}
