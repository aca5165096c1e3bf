import { startSandbox } from './sandbox.server';

/** Standalone fake Telegram: `npm run sandbox`, then point a bot's apiRoot at the printed URL. */
async function main(): Promise<void> {
  const port = Number(process.env.SANDBOX_PORT ?? 8081);
  const host = process.env.SANDBOX_HOST ?? '127.0.0.1';
  // The launcher (npm start) also puts this id into the bot's ADMIN_IDS, so the web chat's admin user is an admin.
  const admin = process.env.SANDBOX_ADMIN_ID;
  const adminId = admin === undefined || admin === '' ? undefined : Number(admin);
  if (adminId !== undefined && (!Number.isSafeInteger(adminId) || adminId <= 0)) {
    throw new Error(`SANDBOX_ADMIN_ID must be a positive Telegram user id, got "${admin}"`);
  }
  const sandbox = await startSandbox({ port, host, adminId });
  console.log(`Telegram Bot API sandbox listening on ${sandbox.url} (web chat at ${sandbox.url}/)`);
  const stop = (): void => {
    void sandbox.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
