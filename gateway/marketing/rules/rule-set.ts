/**
 * The rules in force in this instance: a compiled RuleSet swapped whole, so an event is evaluated against one
 * consistent set (the one current when it started), and a change applies to the next event without a restart.
 * The definitions store calls `swap` on every instance when a rule is put or deleted.
 */
import { compile, type RuleContext, type RuleDefinition, type RuleSet } from './definition';

export interface RuleSetHolder {
  readonly current: RuleSet;
  /** A number that grows with every swap (for logs and the admin API). */
  readonly version: number;
  /** Compiles and installs the definitions (each already validated); the old set serves events already running. */
  swap(definitions: readonly RuleDefinition[]): void;
}

export function ruleSetHolder(initial: readonly RuleDefinition[] = [], context?: RuleContext): RuleSetHolder {
  let current = compile(initial, context);
  let version = 1;
  return {
    get current() {
      return current;
    },
    get version() {
      return version;
    },
    swap(definitions) {
      current = compile(definitions, context);
      version++;
    },
  };
}
