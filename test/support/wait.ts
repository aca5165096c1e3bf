/** Polls `check` until it holds; fails with `what` after the timeout. For conditions, never for timing claims. */
export async function waitFor(check: () => Promise<boolean> | boolean, what = 'condition', timeoutMs = 5_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`${what}: not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
