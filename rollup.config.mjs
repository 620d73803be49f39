// Builds the browser SDK (packages/sdk) four ways: `npx rollup -c`
//   dist/sdk.js      the script tag: one minified IIFE, everything bundled (the Worker serves it at /sdk.js)
//                    and dist/manifest.json {file, hash, bytes, gzip, brotli} for cache busting;
//                    it checks field names and required fields, the Worker checks values
//   dist/sdk.debug.js the same, checking every value in the browser too (/sdk.debug.js, for integrating)
//   dist/index.js    the npm package "shopbeacon" (ESM): js-cookie stays a dependency,
//                    @shopbeacon/protocol (private) is bundled
//   dist/index.d.ts  its types, with protocol's types inlined
//   dist/docs.html   the README as a page, which the Worker serves at /docs (the dashboard links
//                    its sections); not part of the npm package
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import nodeResolve from '@rollup/plugin-node-resolve';
import terser from '@rollup/plugin-terser';
import typescript from '@rollup/plugin-typescript';
import { dts } from 'rollup-plugin-dts';
import { Marked } from 'marked';
import { gfmHeadingId } from 'marked-gfm-heading-id';
import { tsImport } from 'tsx/esm/api';

const sdk = (p) => `packages/sdk/${p}`;

// Both packages say "sideEffects": false, but rollup does not learn it for workspace sources
// compiled from .ts; without this, protocol's country Set (only the Worker uses it) is kept.
const treeshake = { moduleSideEffects: (id) => !/[/\\]packages[/\\](protocol|sdk)[/\\]src[/\\]/.test(id) };

const ts = () =>
  typescript({
    tsconfig: false,
    include: ['packages/sdk/src/**/*.ts', 'packages/protocol/src/**/*.ts'],
    compilerOptions: {
      // ES2020: optional chaining and ?? stay as written (every browser with keepalive fetch has them).
      target: 'ES2020',
      module: 'ESNext',
      moduleResolution: 'Bundler',
      lib: ['ES2023', 'DOM'],
      strict: true,
      declaration: false,
      sourceMap: false,
    },
  });

/**
 * packages/sdk/src/tables.ts (protocol's event tables as the checker reads them), evaluated now
 * and bundled as its values: the script carries the field names and one code per field, not
 * protocol's kind objects nor the code that turns them into codes.
 */
const tables = () => ({
  name: 'tables',
  resolveId: (id, importer) => (id == './tables' && importer?.includes(sdk('src/')) ? '\0tables' : null),
  async load(id) {
    if (id != '\0tables') return null;
    const values = await tsImport(fileURLToPath(new URL(sdk('src/tables.ts'), import.meta.url)), import.meta.url);
    return Object.entries(values)
      .filter(([, value]) => typeof value != 'function')
      .map(([name, value]) => `export const ${name} = ${JSON.stringify(value)};`)
      .join('\n');
  },
});

/**
 * The script tag: src/cookie-lite.ts in src/cookie-jar.ts's place (the cookie calls without
 * js-cookie; its header says why), and src/flags.ts's CHECK_VALUES as given: false in /sdk.js
 * (its budget: test/size.test.ts), true in /sdk.debug.js.
 */
const scriptTag = ({ checkValues }) => ({
  name: 'script-tag',
  resolveId: (id, importer) => (id == './cookie-jar' && importer?.includes(sdk('src/')) ? fileURLToPath(new URL(sdk('src/cookie-lite.ts'), import.meta.url)) : null),
  load: (id) => (id.endsWith(sdk('src/flags.ts')) ? `export const CHECK_VALUES = ${checkValues};` : null),
});

/** README.md rendered once, at build time, with GitHub's heading anchors (#post-apiupdateorder). */
const docs = () => ({
  name: 'docs',
  generateBundle() {
    const body = new Marked(gfmHeadingId()).parse(readFileSync(new URL('README.md', import.meta.url), 'utf8'));
    const style =
      'body{font:16px/1.55 system-ui,sans-serif;max-width:52rem;margin:0 auto;padding:1rem;color:#1d1d1f}pre{overflow:auto;background:#f5f5f7;padding:.75rem}code{font-size:.9em}table{border-collapse:collapse;display:block;overflow:auto}td,th{border:1px solid #ddd;padding:.3rem .5rem;vertical-align:top}';
    const source = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>shopbeacon documentation</title><style>${style}</style></head><body>${body}</body></html>\n`;
    this.emitFile({ type: 'asset', fileName: 'docs.html', source });
  },
});

/** Sizes and a content hash of the script, written next to it (manifest.json) for the Worker's cache busting. */
const manifest = () => ({
  name: 'manifest',
  generateBundle(_, bundle) {
    const code = Buffer.from(bundle['sdk.js'].code);
    const info = {
      file: 'sdk.js',
      hash: createHash('sha256').update(code).digest('hex').slice(0, 8),
      bytes: code.length,
      gzip: gzipSync(code, { level: 9 }).length,
      brotli: brotliCompressSync(code, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length,
    };
    this.emitFile({ type: 'asset', fileName: 'manifest.json', source: JSON.stringify(info, null, 2) + '\n' });
  },
});

/** No newline at the end of the script (rollup adds one after renderChunk): brotli takes it in 1 to 4 bytes. */
const noFinalNewline = () => ({
  name: 'no-final-newline',
  generateBundle: (_, bundle) => Object.values(bundle).forEach((c) => c.type == 'chunk' && (c.code = c.code.trimEnd())),
});

/** A script-tag build: one minified IIFE, everything bundled. */
const script = (file, checkValues, plugins = []) => ({
  input: sdk('src/sdk.ts'),
  treeshake,
  plugins: [tables(), scriptTag({ checkValues }), nodeResolve({ browser: true }), ts(), noFinalNewline(), ...plugins],
  output: {
    file: sdk(`dist/${file}`),
    format: 'iife',
    strict: false, // nothing in it differs in sloppy mode: its "use strict" is bytes for nothing
    plugins: [
      terser({
        ecma: 2020,
        toplevel: true,
        // unsafe_*: the script makes no use of what they assume away (getters with side
        // effects, Symbol.toPrimitive, methods on modified built-ins); keep_fargs: false drops
        // unused parameters, and nothing reads a function's length. quote_style 2: double quotes
        // throughout, which brotli takes in fewer bytes here.
        compress: { passes: 3, unsafe: true, unsafe_arrows: true, unsafe_comps: true, unsafe_math: true, unsafe_methods: true, pure_getters: true, keep_fargs: false },
        format: { comments: false, quote_style: 2 },
      }),
    ],
  },
});

export default [
  script('sdk.js', false, [manifest(), docs()]),
  script('sdk.debug.js', true),
  {
    input: sdk('src/index.ts'),
    external: ['js-cookie'],
    treeshake,
    plugins: [tables(), nodeResolve({ browser: true }), ts()],
    output: { file: sdk('dist/index.js'), format: 'es' },
  },
  {
    input: sdk('src/index.ts'),
    external: ['js-cookie'],
    plugins: [
      // The private protocol package is published inside this one: its types are inlined.
      { name: 'protocol', resolveId: (id) => (id == '@shopbeacon/protocol' ? fileURLToPath(new URL('packages/protocol/src/index.ts', import.meta.url)) : null) },
      dts({ compilerOptions: { types: [] } }),
    ],
    output: { file: sdk('dist/index.d.ts'), format: 'es' },
  },
];
