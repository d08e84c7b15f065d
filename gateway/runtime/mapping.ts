/**
 * Registered JSONata mappings, bounded. A mapping is data any admin can register and every instance runs on every
 * record it reads, so it must not be able to stop the gateway: `($f := function($x){ 1 + $f($x) }; $f(1))` grows
 * JSONata's (asynchronous) recursion until the heap is gone, a catastrophic regular expression or one
 * `$pad("", 200000000, "x")` is a single call nothing inside the event loop can interrupt.
 *
 * So mappings run in child processes (mapping-host.cjs), never on the gateway's event loop:
 *   - time: JSONata's `timeout` guardrail stops a loop or recursion cooperatively (the process carries on); a call
 *     past `timeoutMs` plus a grace (a regular expression, one builtin) has its process killed and replaced;
 *   - depth: JSONata's `stack` guardrail (`maxDepth` nested evaluations);
 *   - size: sequences and ranges at most `maxSequence` items, `$pad` at most `maxOutputBytes` wide, the record's
 *     JSON at most `maxOutputBytes`; any other way of building a huge value meets the process's heap limit
 *     (`maxMemoryMb`, --max-old-space-size), which ends that process only.
 * A bound exceeded fails that call with MappingLimitError (bad_response, detail `mapping_limit`): its section is
 * null with SOURCE_UNAVAILABLE, the breaker counts it, nothing is cached; every other section and request goes on.
 *
 * Child processes rather than worker threads: a worker that runs out of heap in one large allocation (a 10-million
 * item range, a long join) can abort the whole process ("Reached heap limit") instead of only the worker, whatever
 * its resourceLimits. A process is the boundary the operating system enforces.
 *
 * Each process runs one call at a time; calls wait for a free one (at most `processes`). A call still waiting when
 * its fetch's deadline passes is dropped. A process idle for 30 s ends; the next call starts another.
 *
 * Starting a process takes tens of milliseconds on a quiet machine and seconds on a loaded one, and the first call
 * waits for it within its fetch's deadline. So an adapter with a mapping warms its runner when it is built (at
 * start-up, or when its definition is applied): one process is started then and kept, idle or not, so neither a
 * restart nor a quiet spell puts a process start on a request's path. Only processes beyond that one end when idle.
 */
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { BadResponseError } from '../backends/adapter';

export interface MappingBounds {
  /** Longest one mapping call may run, in milliseconds. */
  timeoutMs: number;
  /** Deepest nesting of evaluations (recursion), in JSONata evaluation frames. */
  maxDepth: number;
  /** Largest record a mapping may produce (its JSON), and widest `$pad`, in bytes. */
  maxOutputBytes: number;
  /** Most items in one sequence or range. */
  maxSequence: number;
  /** Heap limit of each mapping process, in MiB. */
  maxMemoryMb: number;
  /** Mapping processes per gateway process: calls run in parallel on as many. */
  processes: number;
}

/** A mapping exceeded one of its bounds (time, depth, size, memory): its own call fails, nothing else. */
export class MappingLimitError extends BadResponseError {
  constructor(message: string) {
    super(message, 'mapping_limit');
  }
}

/** A mapping failed on its own terms (a type error, an undefined function): the call fails as wrong_shape. */
export class MappingFailedError extends BadResponseError {
  constructor(message: string) {
    super(message, 'wrong_shape');
  }
}

const HOST = path.join(__dirname, 'mapping-host.cjs');

interface Call {
  id: number;
  expression: string;
  input: unknown;
  signal: AbortSignal | undefined;
  resolve: (record: unknown) => void;
  reject: (err: Error) => void;
  onAbort: () => void;
}

interface Host {
  child: ChildProcess;
  ready: boolean;
  call: Call | null;
  timer: NodeJS.Timeout | null;
  /** Why this process is being killed (the parent's own decision), for the call it was running. */
  killedFor: string | null;
  /** Ends the process once it has been idle IDLE_MS. */
  idle: NodeJS.Timeout | null;
}

/** A mapping process idle this long ends (its memory back); the next call starts another, in tens of milliseconds. */
const IDLE_MS = 30_000;

type HostMessage =
  { ready: true } | { id: number; json: string } | { id: number; error: { message: string; limit: boolean } };

export class MappingRunner {
  private readonly hosts = new Set<Host>();
  private readonly waiting: Call[] = [];
  private nextId = 1;
  private closed = false;
  /** Keep one process alive even when idle: set by warm(). */
  private keepOne = false;

  constructor(
    readonly bounds: MappingBounds,
    /** How long an idle mapping process lives, in milliseconds (tests make it short). */
    private readonly idleMs = IDLE_MS,
  ) {}

  /** Mapping processes alive now (starting, idle or busy). */
  get processCount(): number {
    return this.hosts.size;
  }

  /** The record `expression` makes of `input`; rejects with MappingLimitError or MappingFailedError. */
  evaluate(expression: string, input: unknown, signal?: AbortSignal): Promise<unknown> {
    if (this.closed) return Promise.reject(new MappingFailedError('the mapping runner is closed'));
    if (signal?.aborted) return Promise.reject(signal.reason as Error);
    return new Promise((resolve, reject) => {
      const call: Call = {
        id: this.nextId++,
        expression,
        input,
        signal,
        resolve,
        reject,
        onAbort: () => {
          const at = this.waiting.indexOf(call);
          if (at >= 0) {
            this.waiting.splice(at, 1);
            reject(signal?.reason as Error);
          }
        },
      };
      signal?.addEventListener('abort', call.onAbort, { once: true });
      this.waiting.push(call);
      this.pump();
    });
  }

  /**
   * Starts a process now if none is alive, and keeps one alive from now on (idle ones beyond it still end): for
   * when a mapping is about to be used, so the first call does not wait for a process to start.
   */
  warm(): void {
    if (this.closed) return;
    this.keepOne = true;
    if (this.hosts.size === 0) this.spawn();
  }

  /** Kills every mapping process; calls in flight or waiting fail. */
  close(): void {
    this.closed = true;
    for (const call of this.waiting.splice(0)) call.reject(new MappingFailedError('the mapping runner is closed'));
    for (const host of this.hosts) this.kill(host, 'the mapping runner is closed');
  }

  private pump(): void {
    while (this.waiting.length > 0) {
      const host = [...this.hosts].find((h) => h.ready && !h.call);
      if (!host) {
        if (this.hosts.size < this.bounds.processes) this.spawn();
        return;
      }
      this.dispatch(host, this.waiting.shift() as Call);
    }
  }

  private dispatch(host: Host, call: Call): void {
    call.signal?.removeEventListener('abort', call.onAbort);
    if (host.idle) clearTimeout(host.idle);
    host.idle = null;
    host.call = call;
    // JSONata's own timeout stops most runaways first; past this grace the call is one JSONata cannot interrupt.
    const grace = Math.max(100, this.bounds.timeoutMs);
    host.timer = setTimeout(
      () => this.kill(host, `the mapping ran longer than ${this.bounds.timeoutMs} ms`),
      this.bounds.timeoutMs + grace,
    );
    host.child.send({ id: call.id, expression: call.expression, input: call.input });
  }

  private spawn(): void {
    const child = fork(HOST, [JSON.stringify(this.bounds)], {
      // Not the gateway's own flags (a TypeScript loader, inspector): plain node, this heap limit.
      execArgv: [`--max-old-space-size=${this.bounds.maxMemoryMb}`],
      serialization: 'advanced',
      stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
    });
    const host: Host = { child, ready: false, call: null, timer: null, killedFor: null, idle: null };
    this.hosts.add(host);
    // A mapping process never keeps the gateway alive; a call in flight does (its timer).
    child.unref();
    child.channel?.unref();
    child.on('message', (message: HostMessage) => this.answer(host, message));
    child.on('error', () => {
      this.kill(host, 'the mapping process failed');
      this.ended(host);
    });
    child.on('exit', () => this.ended(host));
  }

  private answer(host: Host, message: HostMessage): void {
    if ('ready' in message) {
      host.ready = true;
      this.pump();
      this.idleLater(host);
      return;
    }
    const call = host.call;
    if (!call || call.id !== message.id) return;
    if (host.timer) clearTimeout(host.timer);
    host.call = null;
    host.timer = null;
    if ('json' in message) {
      call.resolve(JSON.parse(message.json) as unknown);
    } else {
      call.reject(
        message.error.limit
          ? new MappingLimitError(message.error.message)
          : new MappingFailedError(message.error.message),
      );
    }
    this.pump();
    this.idleLater(host);
  }

  /** An idle process ends after IDLE_MS unless a call comes first (dispatch clears the timer). */
  private idleLater(host: Host): void {
    if (host.call || host.idle) return;
    host.idle = setTimeout(() => {
      host.idle = null;
      if (host.call) return;
      // The last process of a warmed runner stays; its idle timer is not set again until another call.
      if (this.keepOne && this.hosts.size <= 1) return;
      this.kill(host, 'idle');
    }, this.idleMs);
    host.idle.unref();
  }

  private kill(host: Host, why: string): void {
    host.killedFor ??= why;
    host.child.kill('SIGKILL');
  }

  /** A process ended (killed by us, out of heap, crashed): its call fails as over a bound, waiting calls get another. */
  private ended(host: Host): void {
    if (!this.hosts.delete(host)) return;
    if (host.timer) clearTimeout(host.timer);
    if (host.idle) clearTimeout(host.idle);
    const call = host.call;
    host.call = null;
    call?.reject(
      new MappingLimitError(
        host.killedFor ?? `the mapping process ended (over its ${this.bounds.maxMemoryMb} MiB heap, or crashed)`,
      ),
    );
    if (this.closed) return;
    if (!host.ready) {
      // It never started (node missing, no memory): fail what waits rather than start processes in a loop.
      for (const waiting of this.waiting.splice(0))
        waiting.reject(new MappingFailedError('the mapping process could not be started'));
      return;
    }
    this.pump();
    // A warmed runner whose process was killed (a runaway call) starts its replacement now, not on the next call.
    if (this.keepOne && this.hosts.size === 0) this.spawn();
  }
}

/** One runner per set of bounds in this process (the config's): every registered adapter shares its processes. */
const runners = new Map<string, MappingRunner>();

export function mappingRunner(bounds: MappingBounds): MappingRunner {
  const key = JSON.stringify(bounds);
  let runner = runners.get(key);
  if (!runner) {
    runner = new MappingRunner(bounds);
    runners.set(key, runner);
  }
  return runner;
}
