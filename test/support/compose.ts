/** The part of a compose file the deployment tests read. */
export interface ComposeFile {
  services: Record<string, Record<string, unknown> & { environment?: unknown; ports?: unknown; volumes?: unknown; profiles?: unknown }>;
}

/**
 * Compose's variable interpolation, for the forms our docker-compose.yml uses: `${VAR}`, `${VAR:-default}`,
 * `${VAR-default}`, `${VAR:?message}`, `${VAR?message}` and `$$`. Like compose it applies to every service
 * whatever its profile, and a missing required variable fails the whole file with its name and message.
 */
export function interpolate<T>(value: T, env: Record<string, string | undefined>): T {
  const one = (text: string): string =>
    text.replace(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?)([-?])([^}]*))?\}/g, (whole, name?: string, colon?: string, op?: string, arg?: string) => {
      if (whole === '$$') return '$';
      const v = env[name!];
      const missing = v === undefined || (colon === ':' && v === '');
      if (op === '?' && missing) throw new Error(`required variable ${name} is missing a value: ${arg}`);
      if (op === '-' && missing) return arg ?? '';
      return v ?? '';
    });
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return one(v);
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return walk(value) as T;
}
