/**
 * A circuit breaker for in-process unit tests (test/unit): the configured defaults (config.ts PolicySchema) with
 * the test's overrides, its state changes recorded, and shorthands for calls that end at once. Install jest's fake
 * timers before creating one: the breaker reads Date.now and times slow calls with setTimeout, both then faked.
 */
import { Breaker, type BreakerOptions, type BreakerState } from '../../gateway/backends/breaker';
import { PolicySchema } from '../../gateway/config';

export interface TestBreaker {
  breaker: Breaker;
  /** Every state the breaker moved to, in order. */
  changes: BreakerState[];
  /** `n` calls admitted and ended well at once. */
  succeed(n?: number): void;
  /** `n` calls admitted and ended badly at once. */
  fail(n?: number): void;
}

export function testBreaker(options: Partial<BreakerOptions> = {}): TestBreaker {
  const changes: BreakerState[] = [];
  const breaker = new Breaker({ ...PolicySchema.parse({}).breaker, ...options }, (state) => changes.push(state));
  return {
    breaker,
    changes,
    succeed: (n = 1) => {
      for (let i = 0; i < n; i++) breaker.acquire().success();
    },
    fail: (n = 1) => {
      for (let i = 0; i < n; i++) breaker.acquire().failure();
    },
  };
}
