/**
 * One definitions store, generic by kind: adapters now (gateway/runtime/adapter-kind.ts), business rules next.
 *
 * A kind registers `{ kind, validate(def) → problems, dryRun?(def, input), apply(defs) }`:
 *   validate  the definition on its own (shape, compiled expressions, reachable and allowed URLs); [] when fine
 *   dryRun    what the change would do, without doing it (adapters: the schema diff, and problems only the whole
 *             set shows, like a field clash); the admin API's `validate` route answers with it
 *   apply     makes the given set (every current definition of the kind, by name) the running one; throws a
 *             DefinitionRefused when it cannot, and then the running one stays
 *
 * Every change (put, delete, rollback) is versioned: one store-wide version number, with who and when; each
 * definition keeps its history (`admin.historyLimit` versions). The change is applied in this instance first and
 * written only if that worked, with a check that the stored version did not move meanwhile (DEFINITION_CONFLICT
 * otherwise); a write that fails puts the stored set back in this instance. With Redis, every instance sharing it
 * is told on a channel and applies the stored set (and reads it again whenever its connection comes back, so a
 * missed message is caught up); without Redis, a file (written atomically) that the workers of one host share:
 * compare-and-set under a lock file, changes seen by polling it.
 */
import type { Logger } from 'pino';
import type { Problem } from '../runtime/declarative';
import type { DefinitionsBackend, StoredState } from './backends';

export type { Problem } from '../runtime/declarative';
export { singleHolder, singleNameProblems, type SingleHolder } from './single';

export interface DefinitionKind<Definition = unknown> {
  /** Singular, lower-case: `adapter`, `rule`. The admin route is its plural: /admin/adapters. */
  kind: string;
  /** The plural of the admin route when it is not `<kind>s` (e.g. `contact-policies`). */
  plural?: string;
  validate(definition: unknown, name: string): Problem[] | Promise<Problem[]>;
  dryRun?(definition: unknown, input: unknown, name: string): Promise<unknown>;
  apply(definitions: ReadonlyMap<string, Definition>, version: number): Promise<void>;
  /** The 404's message for a name with no current definition (e.g. rules: "configured, not registered"). */
  notFound?(name: string): string;
  /** What runs, when it is more than the registered definitions (rules: the configured ones too); listed as `inForce`. */
  inForce?(): unknown;
}

/** A change the gateway will not make; the running state is unchanged. */
export class DefinitionRefused extends Error {
  constructor(readonly problems: Problem[]) {
    super(problems.map((p) => `${p.path}: ${p.message}`).join('; '));
  }
}

export class DefinitionConflict extends Error {}
export class DefinitionNotFound extends Error {}

/** One version of one definition. `definition` null: deleted at that version. */
export interface DefinitionVersion {
  kind: string;
  name: string;
  version: number;
  definition: unknown;
  by: string;
  at: string;
}

export class DefinitionsStore {
  private readonly kinds = new Map<string, DefinitionKind>();
  /** The store version this instance runs (0: nothing stored yet). */
  private appliedVersion = 0;
  /** Changes and syncs run one at a time in this instance. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly backend: DefinitionsBackend,
    private readonly logger: Logger,
    private readonly historyLimit = 50,
  ) {}

  register(kind: DefinitionKind): void {
    if (this.kinds.has(kind.kind)) throw new Error(`definition kind ${kind.kind} is registered twice`);
    this.kinds.set(kind.kind, kind);
  }

  kind(name: string): DefinitionKind | undefined {
    return this.kinds.get(name);
  }

  /** The kind whose admin route is `/admin/<plural>`. */
  kindOfPlural(plural: string): DefinitionKind | undefined {
    for (const kind of this.kinds.values()) if ((kind.plural ?? `${kind.kind}s`) === plural) return kind;
    return undefined;
  }

  get version(): number {
    return this.appliedVersion;
  }

  /** Loads what is stored and applies it (at start), then follows the other instances' changes. */
  async start(): Promise<void> {
    await this.serial(() => this.sync(true)).catch((err: unknown) =>
      // Redis down at start: the configured adapters serve meanwhile; the reconnection's notice applies the stored set.
      this.logger.error(
        { err },
        'could not read the stored definitions; running the configured adapters until they can be read',
      ),
    );
    this.backend.onChange(
      () =>
        void this.serial(() => this.sync(false)).catch((err: unknown) =>
          this.logger.error({ err }, 'could not apply the stored definitions'),
        ),
    );
  }

  /** The current definitions of a kind, by name (latest version of each, deleted ones left out). */
  async current(kind: string): Promise<Map<string, DefinitionVersion>> {
    return currentOf(await this.backend.load(), kind);
  }

  async history(kind: string, name: string): Promise<DefinitionVersion[]> {
    const state = await this.backend.load();
    return state.entries.filter((e) => e.kind === kind && e.name === name);
  }

  /**
   * Puts (definition) or deletes (null) one definition: validated, applied here, then stored and announced.
   * `ifVersion`: only when the definition's current version is still that one (DefinitionConflict otherwise), checked
   * on the state the change is saved over, so that two callers acting on one version cannot both succeed.
   */
  change(
    kind: string,
    name: string,
    definition: unknown,
    by: string,
    options: { ifVersion?: number } = {},
  ): Promise<DefinitionVersion> {
    return this.serial(async () => {
      const handler = this.requireKind(kind);
      if (definition !== null) {
        const problems = await handler.validate(definition, name);
        if (problems.length > 0) throw new DefinitionRefused(problems);
      }
      const state = await this.backend.load();
      const running = currentOf(state, kind);
      if (definition === null && !running.has(name))
        throw new DefinitionNotFound(handler.notFound?.(name) ?? `no ${kind} named ${name}`);
      if (options.ifVersion !== undefined && running.get(name)?.version !== options.ifVersion)
        throw new DefinitionConflict(`${kind} ${name} is no longer version ${options.ifVersion}`);
      const version = state.version + 1;
      const entry: DefinitionVersion = { kind, name, version, definition, by, at: new Date().toISOString() };
      const next = new Map([...running].map(([n, e]) => [n, e.definition]));
      if (definition === null) next.delete(name);
      else next.set(name, definition);
      await handler.apply(next, version);
      // The new entry and at most historyLimit - 1 before it (slice(-0) would keep them all).
      const before = state.entries.filter((e) => e.kind === kind && e.name === name);
      const kept = this.historyLimit > 1 ? before.slice(-(this.historyLimit - 1)) : [];
      const entries = [...state.entries.filter((e) => e.kind !== kind || e.name !== name), ...kept, entry];
      let saved: boolean;
      try {
        saved = await this.backend.save({ version, entries }, state.version);
      } catch (err) {
        // Not stored (the file locked too long, Redis gone): run the stored set again, so that this instance never
        // serves a change that the other instances, and this one after a restart, do not have.
        try {
          await handler.apply(new Map([...running].map(([n, e]) => [n, e.definition])), state.version);
          this.appliedVersion = state.version;
        } catch (restore) {
          this.logger.error(
            { err: restore, kind, version: state.version },
            'could not run the stored definitions again after a failed save',
          );
        }
        throw err;
      }
      if (!saved) {
        // Someone else wrote first: run what is stored, and let the caller retry on it.
        await this.sync(true);
        throw new DefinitionConflict('the definitions changed meanwhile');
      }
      this.appliedVersion = version;
      return entry;
    });
  }

  /** Makes an earlier version current again, through the same validation and apply as a put. */
  async rollback(kind: string, name: string, toVersion: number, by: string): Promise<DefinitionVersion> {
    const target = (await this.history(kind, name)).find((e) => e.version === toVersion);
    if (!target) throw new DefinitionNotFound(`${kind} ${name} has no version ${toVersion}`);
    return this.change(kind, name, target.definition, by);
  }

  async close(): Promise<void> {
    await this.queue.catch(() => undefined);
    await this.backend.close();
  }

  private requireKind(kind: string): DefinitionKind {
    const handler = this.kinds.get(kind);
    if (!handler) throw new DefinitionNotFound(`no definitions of kind ${kind}`);
    return handler;
  }

  /** Applies the stored set when it is not the one running (`force`: at start, and after a conflict). */
  private async sync(force: boolean): Promise<void> {
    const state = await this.backend.load();
    // Nothing stored yet and nothing applied: the runtime of the configured adapters is already the right one.
    if (state.version === this.appliedVersion && (!force || state.version === 0)) return;
    for (const [kind, handler] of this.kinds) {
      const defs = new Map([...currentOf(state, kind)].map(([n, e]) => [n, e.definition]));
      try {
        await handler.apply(defs, state.version);
      } catch (err) {
        // A stored set this instance cannot run (e.g. an endpoint it cannot reach): it keeps what it runs, loudly.
        this.logger.error({ err, kind, version: state.version }, 'stored definitions refused by this instance');
      }
    }
    this.appliedVersion = state.version;
  }

  private serial<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task, task);
    this.queue = run.catch(() => undefined);
    return run;
  }
}

function currentOf(state: StoredState, kind: string): Map<string, DefinitionVersion> {
  const latest = new Map<string, DefinitionVersion>();
  for (const entry of state.entries) {
    if (entry.kind !== kind) continue;
    const seen = latest.get(entry.name);
    if (!seen || entry.version > seen.version) latest.set(entry.name, entry);
  }
  for (const [name, entry] of latest) if (entry.definition === null) latest.delete(name);
  return latest;
}
