/**
 * Deadlines a loaded machine cannot miss, for tests that push thousands of calls through mocks in the same process
 * (campaign runs): on a busy 2-core machine a call can wait seconds for the CPU. A test about campaigns must not turn
 * into a test about timeouts, breakers opened by slow calls, or bulkhead queues: these keep it about campaigns.
 */

/** Per mock source: long deadlines, a breaker that slowness does not open, a deep and patient bulkhead queue. */
export const PATIENT_POLICIES: Record<string, unknown> = Object.fromEntries(
  ['crm', 'billing', 'warehouse', 'scoring'].map((name) => [
    name,
    {
      timeoutMs: 30_000,
      breaker: { slowCallDurationMs: 30_000 },
      bulkhead: { maxConcurrent: 300, queue: 3000, queueTimeoutMs: 30_000 },
      retry: { attempts: 1 },
      commands: { timeoutMs: 30_000 },
    },
  ]),
);

/** The channel gateway's deadline to go with them, in ms. */
export const PATIENT_CHANNEL_TIMEOUT_MS = 30_000;
/** A drain as long as the longest call (the configuration checks it), in ms. */
export const PATIENT_GRACE_MS = 70_000;

/**
 * Limit of a `beforeAll` that opens the embedded store, starts mocks and a gateway, or launches Chromium. It bounds a
 * hang, never a measurement: opening the embedded store alone took 40 s with the machine loaded (load average 9 on
 * its 2 cores), a second on a quiet one.
 */
export const SETUP_TIMEOUT_MS = 300_000;

/**
 * Mapping bounds for tests that register mappings without testing the bounds: the default 100 ms is a wall-clock
 * bound, which a mapping process waiting for the CPU on a loaded machine can pass on a mapping of a few fields.
 */
export const PATIENT_MAPPINGS = { timeoutMs: 5_000 };

/**
 * The channel mock's reply delivery for tests that send hundreds of replies at once: each reply's handling places an
 * order and sends a confirmation, and on a loaded machine a burst of them outlasts the default 4 attempts in about
 * 1.4 s. A provider retries for minutes; so does this (10 attempts, backoff from 500 ms, 30 s per attempt).
 */
export const PATIENT_REPLY_DELIVERY = { maxAttempts: 10, retryBackoffMs: 500, timeoutMs: 30_000 };
