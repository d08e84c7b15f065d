/**
 * A circuit breaker for one backend: a small state machine of our own, with the semantics of Resilience4j's
 * count-in-time-window breaker (the anchor) where opossum 9 differs (read in node_modules/opossum/lib/circuit.js):
 *
 *   CLOSED     every call is admitted and recorded in a rolling window (`rollingCountTimeoutMs`, 10 buckets).
 *              A call is *bad* when it fails (error, timeout, bad response) or when it is *slow*: still unanswered
 *              `slowCallDurationMs` after it started. A slow call is counted bad at that moment, while it is still in
 *              flight (opossum and Resilience4j count a call only when it ends: with a backend at +5 s and a 2 s
 *              deadline, every call of the first 2 s went out before the first one counted). Each call counts once.
 *              The breaker opens when the window holds at least `volumeThreshold` calls (Resilience4j
 *              minimumNumberOfCalls) and the bad share reaches `errorThresholdPercentage`, or at once after
 *              `consecutiveFailures` bad calls in a row (Envoy outlier detection's consecutive_5xx): a window
 *              full of the successes of a busy minute would otherwise need as many failures before it opened
 *              (under 2 s flapping the old breaker opened in only 2 of 8 outages).
 *   OPEN       every call is refused at once (EOPENBREAKER → reason `circuit_open`) for `resetTimeoutMs`.
 *   HALF_OPEN  at most `halfOpenProbes` calls are admitted (Resilience4j permittedNumberOfCallsInHalfOpenState);
 *              the others are refused as while open. One bad probe opens the breaker again; when all the probes
 *              succeed it closes with an empty window. opossum admits one probe and then everything on its success.
 *
 * A "not found" answer is a success. Calls refused by the bulkhead never reach the breaker. An outcome that arrives
 * after the state changed (a call admitted while closed that ends after the breaker opened) is not recorded: it
 * belongs to a window that no longer exists.
 */
export type BreakerState = 'CLOSED' | 'OPEN' | 'HALF_OPEN';

export interface BreakerOptions {
  /** Share of bad calls in the window that opens the breaker, in percent. */
  errorThresholdPercentage: number;
  /** Calls recorded in the window before the breaker may open. */
  volumeThreshold: number;
  /** Bad calls in a row that open the breaker whatever the window says. */
  consecutiveFailures: number;
  /** Length of the rolling window, in ms. */
  rollingCountTimeoutMs: number;
  /** Time spent open before probes are admitted, in ms. */
  resetTimeoutMs: number;
  /** A call unanswered this long counts as bad, in ms. */
  slowCallDurationMs: number;
  /** Calls admitted while half-open. */
  halfOpenProbes: number;
}

export class OpenBreakerError extends Error {
  readonly code = 'EOPENBREAKER';
  constructor() {
    super('circuit breaker is open');
  }
}

/** One admitted call: report how it ended, exactly once. */
export interface Permit {
  success(): void;
  failure(): void;
}

const BUCKETS = 10;

export class Breaker {
  private state: BreakerState = 'CLOSED';
  /** Bumped at every transition: a permit from an earlier state records nothing. */
  private epoch = 0;
  private openedAt = 0;
  private probesAdmitted = 0;
  private probesSucceeded = 0;
  /** Bad calls recorded in a row while closed. */
  private streak = 0;
  private readonly bucketMs: number;
  /** Ring of buckets: the time slot each covers, its calls and its bad calls. */
  private readonly slots = new Float64Array(BUCKETS);
  private readonly calls = new Uint32Array(BUCKETS);
  private readonly bad = new Uint32Array(BUCKETS);

  constructor(
    private readonly options: BreakerOptions,
    private readonly onChange: (state: BreakerState) => void = () => undefined,
    private readonly now: () => number = Date.now,
  ) {
    this.bucketMs = Math.max(1, Math.floor(options.rollingCountTimeoutMs / BUCKETS));
    this.slots.fill(-1);
  }

  /** The current state; an open breaker whose reset timeout passed reads (and becomes) half-open. */
  current(): BreakerState {
    if (this.state === 'OPEN' && this.now() - this.openedAt >= this.options.resetTimeoutMs)
      this.transition('HALF_OPEN');
    return this.state;
  }

  /** Admits a call or throws OpenBreakerError. The caller must end the permit with success() or failure(). */
  acquire(): Permit {
    const state = this.current();
    if (state === 'OPEN') throw new OpenBreakerError();
    if (state === 'HALF_OPEN') {
      if (this.probesAdmitted >= this.options.halfOpenProbes) throw new OpenBreakerError();
      this.probesAdmitted++;
    }
    const epoch = this.epoch;
    let counted = false;
    const record = (good: boolean): void => {
      if (counted) return;
      counted = true;
      clearTimeout(slow);
      if (epoch === this.epoch) this.record(good);
    };
    // Counted bad when it passes the slow-call duration, while still in flight; its later end records nothing.
    // The verdict waits for setImmediate: timers run before I/O in each turn of the event loop, so on a busy
    // process an answer already received would otherwise be judged slow for our own lag, not the backend's.
    const slow = setTimeout(() => setImmediate(() => record(false)), this.options.slowCallDurationMs);
    slow.unref?.();
    return { success: () => record(true), failure: () => record(false) };
  }

  private record(good: boolean): void {
    if (this.state === 'HALF_OPEN') {
      if (!good) return this.open();
      if (++this.probesSucceeded >= this.options.halfOpenProbes) this.transition('CLOSED');
      return;
    }
    if (this.state !== 'CLOSED') return;
    this.streak = good ? 0 : this.streak + 1;
    if (this.streak >= this.options.consecutiveFailures) return this.open();
    const slot = Math.floor(this.now() / this.bucketMs);
    const i = slot % BUCKETS;
    if (this.slots[i] !== slot) {
      this.slots[i] = slot;
      this.calls[i] = 0;
      this.bad[i] = 0;
    }
    this.calls[i]!++;
    if (!good) this.bad[i]!++;
    let calls = 0;
    let bad = 0;
    for (let j = 0; j < BUCKETS; j++) {
      if (this.slots[j]! > slot - BUCKETS) {
        calls += this.calls[j]!;
        bad += this.bad[j]!;
      }
    }
    if (calls >= this.options.volumeThreshold && bad * 100 >= this.options.errorThresholdPercentage * calls)
      this.open();
  }

  private open(): void {
    this.openedAt = this.now();
    this.transition('OPEN');
  }

  private transition(state: BreakerState): void {
    this.state = state;
    this.epoch++;
    this.probesAdmitted = 0;
    this.probesSucceeded = 0;
    this.streak = 0;
    if (state === 'CLOSED') this.slots.fill(-1);
    this.onChange(state);
  }
}
