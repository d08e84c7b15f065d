/**
 * Real Redis for the tests. The shared server is REDIS_TEST_URL (default redis://127.0.0.1:6379): tests that need it
 * fail, never skip, when it is unreachable. A test that must stop and restart Redis runs its own redis-server on a
 * free port instead, so it never disturbs the shared one.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { createClient } from 'redis';

export const REDIS_URL = process.env.REDIS_TEST_URL ?? 'redis://127.0.0.1:6379';

/** A key prefix of its own for each test, so tests never see each other's entries. */
export const uniquePrefix = (name: string): string => `ucvtest:${name}:${process.pid}:${Date.now()}:`;

export async function requireRedis(url = REDIS_URL): Promise<void> {
  const client = createClient({ url, socket: { connectTimeout: 1000, reconnectStrategy: false } });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.ping();
  } catch (err) {
    throw new Error(
      `These tests need a Redis server at ${url} (scripts/test-env.sh, the first step of npm test, starts one): ${(err as Error).message}`,
    );
  } finally {
    if (client.isOpen) client.destroy();
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

/** A private redis-server that a test may stop and start again on the same port. */
export class OwnRedis {
  private child?: ChildProcess;
  constructor(readonly port: number) {}
  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }
  async start(): Promise<void> {
    this.child = spawn(
      'redis-server',
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: 'ignore' },
    );
    for (let i = 0; i < 100; i++) {
      try {
        await requireRedis(this.url);
        return;
      } catch {
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    throw new Error(`redis-server did not start on port ${this.port} (is redis-server installed?)`);
  }
  /** Sends a signal to the server, e.g. SIGSTOP to freeze it (connections stay open, nothing answers) and SIGCONT. */
  signal(signal: NodeJS.Signals): void {
    this.child?.kill(signal);
  }
  /** Freezes the server (SIGSTOP): its socket stays open and nothing answers, as under a long fork or swap. */
  pause(): void {
    this.child?.kill('SIGSTOP');
  }
  /** Thaws a paused server (SIGCONT). */
  resume(): void {
    this.child?.kill('SIGCONT');
  }
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL'); // also ends a paused server
    });
  }
}
