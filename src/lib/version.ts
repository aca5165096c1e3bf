import { spawnSync } from 'node:child_process';
import path from 'node:path';

let cached: string | undefined;

/**
 * The running code's version, for start/stop notices and the critical log: `SOURCE_VERSION` (set by Heroku-style
 * builds, or by hand; the Dockerfile takes it as a build argument), else the git commit of the checkout, else
 * `unknown`.
 */
export function sourceVersion(): string {
  if (cached !== undefined) return cached;
  const given = process.env.SOURCE_VERSION?.trim();
  if (given) return (cached = given.slice(0, 40));
  const root = path.resolve(__dirname, '..', '..', '..');
  const git = spawnSync('git', ['rev-parse', '--short=12', 'HEAD'], { cwd: root, encoding: 'utf8', timeout: 2_000 });
  const commit = git.status === 0 ? git.stdout.trim() : '';
  return (cached = /^[0-9a-f]{7,40}$/.test(commit) ? commit : 'unknown');
}
