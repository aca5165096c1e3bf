#!/usr/bin/env node
// `npm start`: everything a fresh machine needs before the TypeScript launcher can run — install the locked
// dependencies if they are missing or stale, and compile if the sources changed. Only Node built-ins here.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const run = (cmd, args) => {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`\n${cmd} ${args.join(' ')} failed (exit ${r.status ?? r.signal}).`);
    process.exit(1);
  }
};
const mtime = (p) => (existsSync(p) ? statSync(p).mtimeMs : 0);
const newest = (dir) => {
  if (!existsSync(dir)) return 0;
  let max = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && entry.name.endsWith('.ts')) max = Math.max(max, mtime(path.join(entry.parentPath ?? entry.path, entry.name)));
  }
  return max;
};

const installed = path.join(root, 'node_modules', '.package-lock.json');
if (mtime(installed) < mtime(path.join(root, 'package-lock.json'))) {
  console.log('Installing dependencies from package-lock.json (npm ci)…');
  run('npm', ['ci', '--no-audit', '--no-fund']);
}
const built = path.join(root, 'dist', '.tsbuildinfo');
const sources = Math.max(...['src', 'workers', 'migrations', 'test', 'bench', 'scripts'].map((d) => newest(path.join(root, d))), mtime(path.join(root, 'tsconfig.json')));
if (mtime(built) < sources || !existsSync(path.join(root, 'dist', 'src', 'ops', 'start.main.js'))) {
  console.log('Compiling TypeScript…');
  run(path.join(root, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.json']);
}
const launcher = spawn(process.execPath, [path.join(root, 'dist', 'src', 'ops', 'start.main.js'), ...process.argv.slice(2)], {
  cwd: root,
  stdio: 'inherit',
});
// Pass Ctrl-C / SIGTERM on so the launcher can stop its children cleanly.
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => launcher.kill(signal));
launcher.on('exit', (code) => process.exit(code ?? 1));
