// Generates the OpenAPI document from the built server and compares it with the committed docs/openapi.json, so an
// API change is always a visible, reviewed diff. `node scripts/check-openapi.mjs --write` updates the file.
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { buildApp } = await import(join(root, 'packages/server/dist/app.js'));
const { loadConfig } = await import(join(root, 'packages/server/dist/config.js'));

const app = await buildApp(loadConfig({ CONTEXTPILOT_DATABASE_URL: 'memory', CONTEXTPILOT_LOG_LEVEL: 'silent' }));
await app.ready();
const generated = `${JSON.stringify(app.swagger(), null, 2)}\n`;
await app.close();

const file = join(root, 'docs/openapi.json');
if (process.argv.includes('--write')) {
  await writeFile(file, generated);
  console.log('docs/openapi.json updated');
  process.exit(0);
}
const committed = await readFile(file, 'utf8').catch(() => '');
if (committed !== generated) {
  console.error(
    'docs/openapi.json is out of date: the API changed. Review the change, then run `node scripts/check-openapi.mjs --write`.',
  );
  process.exit(1);
}
console.log('docs/openapi.json matches the API');
