// The script tag's size as the size test measures it: `node packages/sdk/scripts/size.mjs` builds
// dist/sdk.js alone (rollup.config.mjs's first entry) and prints its bytes raw, gzip -9 and
// brotli quality 11; `--file F` measures a file as it is instead.
import { readFileSync } from 'node:fs';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

const at = process.argv.indexOf('--file');
let code;
if (at > 0) code = readFileSync(process.argv[at + 1]);
else {
  const { rollup } = await import('rollup');
  const [config] = (await import(new URL('../../../rollup.config.mjs', import.meta.url))).default;
  const bundle = await rollup(config);
  const { output } = await bundle.write(config.output);
  code = Buffer.from(output[0].code);
}
const brotli = brotliCompressSync(code, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length;
console.log(`sdk.js: ${code.length} B raw, ${gzipSync(code, { level: 9 }).length} B gzip, ${brotli} B brotli`);
