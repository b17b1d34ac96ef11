import { readdirSync } from 'node:fs';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * What each folder may import. `packages` lists the packages it may use (`name` or `prefix*`; any
 * package when absent); `folders` lists the other top-level folders (or files, such as `index.ts`)
 * it may reach (any when absent); `forbiddenFolders` lists those it must not reach. Every folder may
 * import its own files. A folder without a `packages` list must not set up OpenTelemetry: only app/
 * does; that is all the rule of a folder with no other entry.
 *
 * Adding a folder's rule is one entry here; saga folders get theirs below, found by `sagaFolders`.
 */
const layers = [
  {
    folder: 'machines',
    why: 'machines are replayed, so they stay pure: no I/O, clock, randomness or environment',
    packages: ['xstate'],
    folders: [],
  },
  {
    folder: 'runtime',
    why: 'the runtime hosts any saga on any adapter: ports live here, their implementations and the sagas above',
    packages: ['node:*', 'xstate', 'zod', '@opentelemetry/api'],
    folders: [],
  },
  {
    folder: 'adapters',
    why: 'adapters implement the ports of runtime/; the API and the wiring in app/ sit above them',
    forbiddenFolders: ['api', 'app'],
  },
  {
    folder: 'api',
    why: 'the API takes its ports as arguments; app/ wires adapters into it',
    forbiddenFolders: ['app', 'adapters'],
  },
  { folder: 'orders' },
  { folder: 'participants' },
];

/** The folders of the runtime, its tooling and its built-in order saga; every other top-level folder holds one saga. */
const PROJECT_FOLDERS = new Set(['adapters', 'api', 'app', 'bench', 'chaos', 'coverage', 'docs', 'machines', 'node_modules', 'orders', 'participants', 'runtime', 'scripts', 'sdk', 'test']);

/**
 * A saga folder (`returns/`) sees xsaga only through its public entry (`xsaga`, `xsaga/testing`):
 * what the runtime may change stays out of its reach. Found, not listed: adding a saga adds no line here.
 */
const sagaFolders = readdirSync(import.meta.dirname, { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && !entry.name.startsWith('.') && !PROJECT_FOLDERS.has(entry.name))
  .map((entry) => entry.name);
layers.push(
  ...sagaFolders.map((folder) => ({ folder, why: 'a saga folder sees xsaga only through its public entry point', packages: ['xsaga', 'xstate', 'zod'], folders: [] })),
);

/**
 * `no-restricted-imports` sees only the import's text, not the file it names: whether `../x.ts`
 * leaves the folder depends on how deep the importing file sits. So each depth gets its own block;
 * folders nest deeper than this nowhere, and a deeper file fails lint until this is raised.
 */
const MAX_DEPTH = 4;

const OPENTELEMETRY_SDK = {
  regex: '^@opentelemetry/(?!api$)',
  message: 'Only app/ sets up the OpenTelemetry SDK; use @opentelemetry/api.',
};

const escape = (text) => text.replace(/[.+?^${}()|[\]\\/]/g, '\\$&');
const packageRegex = (name) => (name.endsWith('*') ? escape(name.slice(0, -1)) : `${escape(name)}(/|$)`);
const oneOf = (names) => (names.length === 0 ? '(?!)' : `(${names.map(escape).join('|')})`);

/** The import patterns of `layer` for a file `depth` folders below it: `../` repeated depth + 1 times leaves the layer. */
function importPatterns(layer, depth) {
  const leave = `^(\\.\\./){${depth + 1}}`;
  const patterns = [];
  if (layer.packages) {
    const allowed = layer.packages.map(packageRegex).join('|');
    patterns.push({
      regex: `^(?![./])(?!(${allowed}))`,
      message: `${layer.folder}/ uses no package but ${layer.packages.join(', ')}: ${layer.why}.`,
    });
  } else {
    patterns.push(OPENTELEMETRY_SDK);
  }
  if (layer.folders) {
    const reach = layer.folders.length === 0 ? 'no other folder' : `only ${layer.folders.join(', ')}`;
    patterns.push({
      regex: `${leave}(?!${oneOf(layer.folders)}(/|$))`,
      message: `${layer.folder}/ imports ${reach} of the project: ${layer.why}.`,
    });
  }
  if (layer.forbiddenFolders) {
    patterns.push({
      regex: `${leave}${oneOf(layer.forbiddenFolders)}/`,
      message: `${layer.folder}/ imports nothing from ${layer.forbiddenFolders.map((f) => `${f}/`).join(' or ')}: ${layer.why}.`,
    });
  }
  return patterns;
}

/** One config block per depth below `layer.folder`, each with every import rule of the folder (blocks do not merge). */
function layerBlocks(layer) {
  const blocks = [];
  for (let depth = 0; depth <= MAX_DEPTH; depth++) {
    blocks.push({
      files: [`${layer.folder}/${'*/'.repeat(depth)}*.ts`],
      rules: { 'no-restricted-imports': ['error', { patterns: importPatterns(layer, depth) }] },
    });
  }
  blocks.push({
    files: [`${layer.folder}/${'*/'.repeat(MAX_DEPTH + 1)}**/*.ts`],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ regex: '.', message: `eslint.config.js checks layers ${MAX_DEPTH} folders deep: raise MAX_DEPTH.` }] },
      ],
    },
  });
  return blocks;
}

export default tseslint.config(
  { ignores: ['node_modules/**', '.infra/**', '.xsaga/**', 'bench/results/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-syntax': ['error', { selector: 'ExportDefaultDeclaration', message: 'Use named exports.' }],
    },
  },
  {
    // Tool configuration files must default-export their config.
    files: ['*.config.js', '*.config.ts'],
    rules: { 'no-restricted-syntax': 'off' },
  },
  {
    // Machines are replayed: they must stay pure (no I/O, clock, randomness or environment). Their imports are in `layers`.
    files: ['machines/**/*.ts'],
    rules: {
      'no-restricted-globals': ['error', 'process', 'Date', 'setTimeout', 'setInterval', 'fetch'],
      'no-restricted-properties': ['error', { object: 'Math', property: 'random' }],
    },
  },
  ...layers.flatMap(layerBlocks),
);
