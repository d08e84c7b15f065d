/**
 * Waiting for a condition instead of sleeping a fixed time: polls `condition` until it returns a truthy value (and
 * returns that value), or fails after `timeoutMs` with what was awaited. The deadline only bounds a failure: a
 * passing test waits exactly as long as the condition takes, on a quiet machine or a loaded one.
 */
export interface WaitOptions {
  /** Longest wait before the test fails. Default 10 s: generous, it costs nothing when the condition is met. */
  timeoutMs?: number;
  /** Pause between two polls. Default 10 ms. */
  intervalMs?: number;
  /** What is awaited, for the failure message. */
  what?: string;
  /**
   * For a condition that takes as long as some work does (a campaign through 800 targets): a reading of that work's
   * progress, compared between polls. While it changes the wait goes on, and `timeoutMs` bounds only the time without
   * any: a loaded machine is slower, not stuck.
   */
  progress?: () => unknown;
}

/** What a condition returns once it holds. */
export type Truthy<T> = Exclude<T, false | 0 | '' | null | undefined>;

export async function waitFor<T>(
  condition: () => T | Promise<T>,
  { timeoutMs = 10_000, intervalMs = 10, what = 'condition', progress }: WaitOptions = {},
): Promise<Truthy<T>> {
  let deadline = performance.now() + timeoutMs;
  let last = progress ? JSON.stringify(await progress()) : undefined;
  for (;;) {
    const value = await condition();
    if (value) return value as Truthy<T>;
    if (progress) {
      const now = JSON.stringify(await progress());
      if (now !== last) {
        last = now;
        deadline = performance.now() + timeoutMs;
      }
    }
    if (performance.now() > deadline)
      throw new Error(`waitFor: ${what} not met within ${timeoutMs} ms${progress ? ' without progress' : ''}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
