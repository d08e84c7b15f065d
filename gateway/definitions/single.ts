/**
 * Kinds of which one definition is in force (the contact policy, the steering table): the holder a kind's `apply`
 * swaps and the readers read at every use, and the refusal of any other name.
 */
import type { Problem } from '../runtime/declarative';

/** The definition in force: the registered one, or the configured one; swapped whole when it changes. */
export interface SingleHolder<T> {
  readonly current: T;
  /** Whether `current` is a registered definition (false: the configured one). */
  readonly registered: boolean;
  /** Puts `value` in force; null: the configured one again. */
  swap(value: T | null): void;
}

export function singleHolder<T>(configured: T): SingleHolder<T> {
  let current = configured;
  let registered = false;
  return {
    get current() {
      return current;
    },
    get registered() {
      return registered;
    },
    swap(value) {
      current = value ?? configured;
      registered = value !== null;
    },
  };
}

/** The problem of a name other than the one in force (`what`: "contact policy"), or none. */
export function singleNameProblems(name: string, expected: string, what: string): Problem[] {
  return name === expected
    ? []
    : [{ path: 'name', message: `one ${what} is in force: its name is "${expected}"`, expected, given: name }];
}
