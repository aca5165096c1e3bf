/**
 * Switchyard's architecture, checked: `npm run check:deps` (CI runs it before the tests).
 *
 * The layers, top to bottom. A file may import its own layer and the layers below it, never one above:
 *   apps          src/bot, src/web, src/ops, src/sandbox, workers/ — processes: wire and run
 *   domain        src/domain — the product: job handlers, texts, keyboards, paid work
 *   jobs          src/jobs — the machinery: catalogue, enqueue, runner, outbox, schedules, chat pacer, dialog mirror
 *   definitions   src/domain/<feature>/<feature>.jobs.ts, src/jobs/define.ts, src/jobs/payloads.ts — what each job is (name, queue,
 *                 payload schema, options): declarations only, kept beside each feature's handlers, read by the
 *                 catalogue; they import nothing but zod and the foundation
 *   repositories  src/repositories — Postgres tables behind typed methods
 *   adapters      src/adapters — the outside world: Telegram, sharp, ffmpeg, speech engines, pg_dump
 *   infra         src/observability, src/db — metrics, alerts, critical log, health check; knex, statements, migrator
 *   foundation    src/lib, src/shared, src/config.ts, src/types — helpers and the words every layer shares
 *
 * Besides the layers: no import circle; the bot holds no Postgres code; the workers' code no telegraf; src/ and
 * workers/ import nothing from test/ or bench/ (which may import anything and are not cruised).
 */
const fs = require('node:fs');
const path = require('node:path');

/** Bottom first. */
const layers = [
  ['foundation', '^src/(lib/|shared/|types/|config\\.ts$)'],
  ['infra', '^src/(observability|db)/'],
  ['adapters', '^src/adapters/'],
  ['repositories', '^src/repositories/'],
  ['definitions', '^(src/jobs/(define|payloads)\\.ts$|src/domain/[a-z/-]+\\.jobs\\.ts$)'],
  ['jobs', '^src/jobs/(?!(define|payloads)\\.ts$)'],
  ['domain', '^src/domain/(?![a-z/-]+\\.jobs\\.ts$)'],
  ['apps', '^(src/(bot|web|ops|sandbox)/|workers/)'],
];

// Every file of src/ and workers/ sits in exactly one layer: a new folder must be given its place here first.
const walk = (dir) =>
  fs.readdirSync(path.join(__dirname, dir), { withFileTypes: true }).flatMap((e) => {
    const rel = `${dir}/${e.name}`;
    return e.isDirectory() ? walk(rel) : /\.(ts|mts|cts|js|mjs|cjs)$/.test(e.name) ? [rel] : [];
  });
const misplaced = ['src', 'workers']
  .flatMap(walk)
  .map((file) => [file, layers.filter(([, re]) => new RegExp(re).test(file)).map(([name]) => name)])
  .filter(([, found]) => found.length !== 1);
if (misplaced.length > 0) {
  throw new Error(
    `.dependency-cruiser.cjs: every file must be in exactly one layer:\n${misplaced.map(([f, found]) => `  ${f}: ${found.length ? found.join(', ') : 'none'}`).join('\n')}`,
  );
}

const POSTGRES_PACKAGES = '(^|/)node_modules/(knex|objection|pg|pg-[^/]+|@types/pg)/';
const POSTGRES = `${POSTGRES_PACKAGES}|^src/(db|repositories)/`;

const forbidden = [
  {
    name: 'no-circular',
    severity: 'error',
    comment: 'An import circle ties its modules into one: none can be loaded, tested or moved alone, and load order decides what is undefined.',
    from: {},
    to: { circular: true },
  },
  ...layers.slice(0, -1).map(([name, from], i) => ({
    name: `no-up-from-${name}`,
    severity: 'error',
    comment: `${name} may import only its own layer and the ones below (${layers.slice(0, i).map(([n]) => n).reverse().join(', ') || 'none'}): an arrow back up makes the lower layer depend on what it serves. Move the shared type or error down, or declare the little it needs as an interface of its own.`,
    from: { path: from },
    to: { path: layers.slice(i + 1).map(([, p]) => `(${p})`).join('|') },
  })),
  {
    name: 'bot-no-postgres',
    severity: 'error',
    comment: 'The bot process holds no Postgres connection (docs/SCALING.md): it enqueues, the workers write. So src/bot imports neither knex, objection, pg nor src/db or src/repositories.',
    from: { path: '^src/bot/' },
    to: { path: POSTGRES },
  },
  {
    name: 'bot-reaches-no-postgres',
    severity: 'error',
    comment: 'Not through another module either: nothing the bot process loads (from its entry, src/bot/main.ts) leads to knex, objection or pg — not even a type-only import (swc does not tell them apart, and a type that needs knex says the module is not the bot\'s).',
    from: { path: '^src/bot/main\\.ts$' },
    to: { path: POSTGRES_PACKAGES, reachable: true },
  },
  {
    name: 'workers-no-telegraf',
    severity: 'error',
    comment: "The workers' code talks to Telegram only through src/adapters/telegram.client.ts (timeouts, error classes, metrics): src/domain, src/jobs and workers/ import no telegraf, not even its types.",
    from: { path: '^(src/(domain|jobs)|workers)/' },
    to: { path: '(^|/)node_modules/telegraf/' },
  },
  {
    name: 'no-test-code-in-src',
    severity: 'error',
    comment: 'What ships does not depend on the tests or the benchmarks (they are not even in the image): src/ and workers/ import nothing from test/ or bench/.',
    from: { path: '^(src|workers)/' },
    to: { path: '^(test|bench)/' },
  },
];

module.exports = {
  forbidden,
  options: {
    // typescript 7 (the native compiler) has no compiler API for dependency-cruiser: swc parses instead.
    parser: 'swc',
    // Type-only imports are arrows of the architecture too.
    tsPreCompilationDeps: true,
    doNotFollow: { path: 'node_modules' },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
