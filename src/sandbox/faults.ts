import { ApiError } from './sandbox.util';

/**
 * Telegram misbehaving on purpose, for fault tests: chosen Bot API methods (or all) answer an error instead of
 * working — 5xx like an outage of Telegram's servers, 429 with a retry_after like a flood limit, a chosen 400 — for a number of
 * calls, for a time, or both (whichever ends first). Set through the control API (`POST /faults`).
 */
export interface FaultRule {
  /** Method names as documented (case-insensitive); empty or absent: every method. */
  methods?: string[];
  /** 500, 502, 503, 504, 429, or 400 with `description` (e.g. an expired callback query). */
  code: 400 | 429 | 500 | 502 | 503 | 504;
  /** For a 400: what Telegram says after "Bad Request: ". */
  description?: string;
  /** How many matching calls fail; absent: until `forMs` passes. */
  times?: number;
  /** How long the rule lasts (ms); absent: until `times` calls failed. */
  forMs?: number;
  /** For a 429: the retry_after Telegram names (s); 1 if absent. */
  retryAfter?: number;
  /**
   * A timeout: the call is held this long (ms) before its error is answered, and is not carried out — as when
   * Telegram's front end times out before the request reached it. A client whose own timeout is shorter gives up first.
   */
  hangMs?: number;
}

interface ActiveRule {
  methods: Set<string> | null;
  code: FaultRule['code'];
  remaining: number;
  until: number;
  retryAfter: number;
  description: string;
  hangMs: number;
}

const DESCRIPTIONS: Record<number, string> = {
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

export class FaultPlan {
  private rules: ActiveRule[] = [];
  /** How many calls the faults answered (for the tests' figures). */
  injected = 0;

  add(rule: FaultRule, now = Date.now()): void {
    if (rule.times === undefined && rule.forMs === undefined) throw new ApiError(400, 'Bad Request: a fault needs times, for_ms or both');
    this.rules.push({
      methods: rule.methods?.length ? new Set(rule.methods.map((m) => m.toLowerCase())) : null,
      code: rule.code,
      remaining: rule.times ?? Number.POSITIVE_INFINITY,
      until: rule.forMs === undefined ? Number.POSITIVE_INFINITY : now + rule.forMs,
      retryAfter: rule.retryAfter ?? 1,
      description: rule.description ?? 'injected fault',
      hangMs: rule.hangMs ?? 0,
    });
  }

  clear(): void {
    this.rules = [];
  }

  /**
   * Throws the fault's error if a rule matches this call (and counts it against the rule); a hanging rule first
   * holds the call for its `hangMs`.
   */
  async check(method: string, now = Date.now()): Promise<void> {
    this.rules = this.rules.filter((r) => r.remaining > 0 && now < r.until);
    const rule = this.rules.find((r) => !r.methods || r.methods.has(method.toLowerCase()));
    if (!rule) return;
    rule.remaining--;
    this.injected++;
    if (rule.hangMs > 0) await new Promise((r) => setTimeout(r, rule.hangMs));
    if (rule.code === 400) throw new ApiError(400, `Bad Request: ${rule.description}`);
    if (rule.code === 429) throw new ApiError(429, `Too Many Requests: retry after ${rule.retryAfter}`, { retry_after: rule.retryAfter });
    throw new ApiError(rule.code, DESCRIPTIONS[rule.code]!);
  }
}
