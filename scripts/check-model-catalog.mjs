// Checks the model catalog and the context-window table in packages/server/src/providers/llm/ before they ship:
// the three providers, non-empty unique model names, positive integer windows. Exits 1 with every problem listed.
// `node scripts/check-model-catalog.mjs [catalog.json] [windows.json]` checks other files (used by the tests).
import console from 'node:console';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

const PROVIDERS = ['openai', 'anthropic', 'ollama'];
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dir = join(root, 'packages/server/src/providers/llm');
const catalogFile = process.argv[2] ?? join(dir, 'model-catalog.json');
const windowsFile = process.argv[3] ?? join(dir, 'model-context-windows.json');

/** @type {string[]} */
const problems = [];
/** @type {(text: string) => unknown} */
const parseJson = JSON.parse;

/**
 * @param {string} file
 * @returns {Promise<unknown>}
 */
async function load(file) {
  try {
    return parseJson(await readFile(file, 'utf8'));
  } catch (error) {
    problems.push(`${file}: cannot be read as JSON (${error instanceof Error ? error.message : String(error)})`);
    return undefined;
  }
}

/**
 * @param {unknown} value
 * @returns {value is Record<string, unknown>}
 */
const isObject = (value) => typeof value === 'object' && value !== null && !Array.isArray(value);
/** @param {unknown} value */
const isWindow = (value) => Number.isInteger(value) && /** @type {number} */ (value) > 0;

/** @param {unknown} catalog */
function checkCatalog(catalog) {
  if (!isObject(catalog)) {
    problems.push('model-catalog.json: the top level must be an object');
    return;
  }
  for (const key of Object.keys(catalog)) {
    if (!PROVIDERS.includes(key)) {
      problems.push(`model-catalog.json: unknown provider "${key}" (expected ${PROVIDERS.join(', ')})`);
    }
  }
  for (const provider of PROVIDERS) {
    const models = catalog[provider];
    if (!Array.isArray(models) || models.length === 0) {
      problems.push(`model-catalog.json: "${provider}" must be a non-empty array of model names`);
      continue;
    }
    const seen = new Set();
    models.forEach((/** @type {unknown} */ model, i) => {
      if (typeof model !== 'string' || model.trim() === '' || model !== model.trim()) {
        problems.push(`model-catalog.json: ${provider}[${i}] must be a non-empty string without surrounding spaces`);
      } else if (seen.has(model)) {
        problems.push(`model-catalog.json: ${provider} lists "${model}" twice`);
      }
      seen.add(model);
    });
  }
}

/** @param {unknown} windows */
function checkWindows(windows) {
  if (!isObject(windows)) {
    problems.push('model-context-windows.json: the top level must be an object');
    return;
  }
  for (const key of Object.keys(windows)) {
    if (!PROVIDERS.includes(key) && key !== '$comment') {
      problems.push(`model-context-windows.json: unknown provider "${key}"`);
    }
  }
  for (const provider of PROVIDERS) {
    const table = windows[provider];
    if (!isObject(table)) {
      problems.push(`model-context-windows.json: "${provider}" must be an object {default, models}`);
      continue;
    }
    if (!isWindow(table.default)) {
      problems.push(`model-context-windows.json: ${provider}.default must be a positive integer`);
    }
    if (!isObject(table.models)) {
      problems.push(`model-context-windows.json: ${provider}.models must be an object of name → tokens`);
      continue;
    }
    for (const [model, tokens] of Object.entries(table.models)) {
      if (model.trim() === '') {
        problems.push(`model-context-windows.json: ${provider}.models has an empty model name`);
      }
      if (!isWindow(tokens)) {
        problems.push(`model-context-windows.json: ${provider}.models["${model}"] must be a positive integer`);
      }
    }
  }
}

const catalog = await load(catalogFile);
const windows = await load(windowsFile);
if (catalog !== undefined) {
  checkCatalog(catalog);
}
if (windows !== undefined) {
  checkWindows(windows);
}
if (problems.length > 0) {
  console.error(`Model catalog check failed:\n- ${problems.join('\n- ')}`);
  process.exit(1);
}
console.log('Model catalog is well-formed');
