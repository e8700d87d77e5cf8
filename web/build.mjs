// Bundles the UI into one JS and one CSS file with content hashes in their
// names, and writes the index.html that names them (docs/UI.md).
//   node web/build.mjs --out build/ui
// The server serves the directory at / (--web.ui-dir), writing the route
// prefix into <base href>; every URL in the UI is relative to it.
import * as esbuild from 'esbuild';
import { gzipSync } from 'node:zlib';
import { mkdirSync, readFileSync, rmSync, writeFileSync, renameSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const outIndex = args.indexOf('--out');
if (outIndex < 0 || !args[outIndex + 1]) {
  console.error('usage: node web/build.mjs --out DIR');
  process.exit(2);
}
const outDir = resolve(args[outIndex + 1]);
// Built into a fresh directory next to the target, then swapped in, so that
// a server serving the old UI never sees half of the new one.
const stagingDir = `${outDir}.new`;
rmSync(stagingDir, { recursive: true, force: true });
mkdirSync(join(stagingDir, 'assets'), { recursive: true });

const result = await esbuild.build({
  absWorkingDir: here,
  entryPoints: { app: 'src/main.tsx' },
  bundle: true,
  minify: !process.env.UI_DEBUG,
  sourcemap: 'linked',
  format: 'esm',
  target: ['es2020', 'chrome100', 'firefox100', 'safari15'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  outdir: join(stagingDir, 'assets'),
  entryNames: '[name]-[hash]',
  metafile: true,
  logLevel: 'warning',
});

const outputs = Object.keys(result.metafile.outputs).map((p) => resolve(here, p));
const js = outputs.find((p) => p.endsWith('.js'));
const css = outputs.find((p) => p.endsWith('.css'));
const rel = (p) => relative(stagingDir, p);
const template = readFileSync(join(here, 'index.html'), 'utf8');
const index = template
  .replace('<!-- styles -->', `<link rel="stylesheet" href="${rel(css)}">`)
  .replace('<!-- scripts -->', `<script type="module" src="${rel(js)}"></script>`);
writeFileSync(join(stagingDir, 'index.html'), index);
writeFileSync(join(stagingDir, 'favicon.svg'), readFileSync(join(here, 'favicon.svg')));

const sizes = {};
for (const p of [js, css]) {
  const bytes = readFileSync(p);
  sizes[rel(p)] = { bytes: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
}
writeFileSync(join(stagingDir, 'bundle-size.json'), JSON.stringify(sizes, null, 2) + '\n');

rmSync(`${outDir}.old`, { recursive: true, force: true });
try {
  renameSync(outDir, `${outDir}.old`);
} catch (e) {
  if (e.code !== 'ENOENT') throw e;
}
renameSync(stagingDir, outDir);
rmSync(`${outDir}.old`, { recursive: true, force: true });

const kb = (n) => `${(n / 1024).toFixed(0)} KiB`;
for (const [name, s] of Object.entries(sizes)) {
  console.log(`ui: ${join(args[outIndex + 1], name)} ${kb(s.bytes)} (${kb(s.gzip)} gzip)`);
}
