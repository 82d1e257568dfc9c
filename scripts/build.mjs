#!/usr/bin/env node
// The production build: every service's main (and the operator CLIs) bundled by esbuild into
// dist/, as ES modules for Node 20. The workspace packages (@ganzhi/*) are compiled into each
// bundle; third-party packages stay external and are loaded from node_modules at run time
// (`npm ci --omit=dev` installs exactly those). Run with `npm run build`; then e.g.
//   node --enable-source-maps dist/services/all/main.js
// An entry's depth under dist/ mirrors its source's (services/<name>/src/main.ts ->
// dist/services/<name>/main.js), so paths made from import.meta.url (the demo registry, the
// default rules directory) resolve to the same repository files.
import { copyFileSync, readFileSync, readdirSync, rmSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const manifest = (dir) => JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8'));

/** Every third-party runtime dependency of the root and of the workspaces: kept external. */
function externals() {
  const dirs = ['.'];
  for (const parent of ['packages', 'services']) {
    for (const name of readdirSync(join(root, parent))) if (existsSync(join(root, parent, name, 'package.json'))) dirs.push(join(parent, name));
  }
  const names = new Set();
  for (const dir of dirs) for (const dep of Object.keys(manifest(dir).dependencies ?? {})) if (!dep.startsWith('@ganzhi/')) names.add(dep);
  return [...names].sort();
}

// every service with a main (the console's src/main.ts is a browser entry that Vite builds: not a service)
const services = readdirSync(join(root, 'services')).filter((s) => s !== 'console' && existsSync(join(root, 'services', s, 'src', 'main.ts')));
const entryPoints = [
  ...services.map((s) => ({ in: `services/${s}/src/main.ts`, out: `services/${s}/main` })),
  { in: 'packages/registry/src/cli.ts', out: 'packages/registry/hash-secret' },
  { in: 'scripts/audit-verify.ts', out: 'scripts/audit-verify/main' },
  // the DuckDB store's thread (GANZHI_DUCKDB_THREAD), beside each service's bundle: the threaded
  // store starts it as new URL('./store-worker.js', import.meta.url)
  ...services.map((s) => ({ in: 'packages/store/src/duckdb/thread/worker.ts', out: `services/${s}/store-worker` })),
  // the gateway thread (GANZHI_GATEWAY_THREAD) of the all-in-one: new URL('./gateway-worker.js', import.meta.url)
  { in: 'services/gateway/src/thread/worker.ts', out: 'services/all/gateway-worker' },
];

rmSync(join(root, 'dist'), { recursive: true, force: true });
const result = await build({
  absWorkingDir: root,
  entryPoints,
  outdir: 'dist',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: true,
  external: externals(),
  logLevel: 'warning',
  metafile: true,
  // a CommonJS dependency bundled by mistake would need these; external ones do not
  banner: { js: "import { createRequire as __ganzhiRequire } from 'node:module'; const require = __ganzhiRequire(import.meta.url);" },
});
// Worker threads load their module by file name, relative to the bundle that starts them (the
// registry's scrypt thread: new URL('./scrypt-worker.mjs', import.meta.url)): put it beside each.
for (const e of entryPoints.filter((e) => !e.out.endsWith('/store-worker') && !e.out.endsWith('/gateway-worker'))) copyFileSync(join(root, 'packages/registry/src/scrypt-worker.mjs'), join(root, 'dist', dirname(e.out), 'scrypt-worker.mjs'));
const outputs = Object.entries(result.metafile.outputs).filter(([f]) => f.endsWith('.js'));
for (const [file, { bytes }] of outputs) process.stdout.write(`${file}  ${(bytes / 1024).toFixed(0)} KiB\n`);
process.stdout.write(`built ${outputs.length} entries into dist/ (external: ${externals().join(', ')})\n`);
