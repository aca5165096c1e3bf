import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { expect } from 'chai';
import { z } from 'zod';
import { catalogue, duplicateJobNames, JOB_NAMES } from '../../src/jobs/catalogue';
import { defineJob } from '../../src/jobs/define';

describe('job catalogue registry', () => {
  it('names a job two features define, with both features', () => {
    const job = defineJob({ queue: 'billing', description: 'x', payload: z.object({}) });
    expect(duplicateJobNames({ accounts: { 'a.b': job, 'c.d': job }, billing: { 'a.b': job } })).to.deep.equal(['"a.b" (accounts, billing)']);
    expect(duplicateJobNames({ accounts: { 'a.b': job }, billing: { 'c.d': job } })).to.deep.equal([]);
  });

  it('holds every feature\'s jobs', () => {
    expect(JOB_NAMES).to.include.members(['account.register', 'payment.completed', 'avatar.create', 'transcript.create', 'backup.run', 'message.send', 'retention.prune']);
    expect(catalogue['payment.precheckout'].options).to.deep.include({ lifo: true, attempts: 3 });
  });

  it('loads no Postgres code: the bot imports the catalogue and the texts', () => {
    // A fresh process: what this one loaded for other tests does not count.
    const dist = path.resolve(__dirname, '../../src');
    const script = `require(${JSON.stringify(`${dist}/jobs/catalogue.js`)}); require(${JSON.stringify(`${dist}/domain/i18n/messages.js`)});
      process.stdout.write(JSON.stringify(Object.keys(require.cache)));`;
    const loaded = JSON.parse(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' })) as string[];
    const postgres = loaded.filter((f) => /[\\/]node_modules[\\/](knex|objection|pg)[\\/]|[\\/]src[\\/](repositories|db)[\\/]|\.handlers\.js$/.test(f));
    expect(postgres).to.deep.equal([]);
  });
});
