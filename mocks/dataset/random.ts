/**
 * A tiny seeded PRNG, so that every field of the mock data set is a pure function of the customer id:
 * the same id gives the same customer on every run and in every mock process.
 */
export interface Rng {
  /** A float in [0, 1). */
  next(): number;
  int(min: number, max: number): number;
  pick<T>(items: readonly T[]): T;
  /** `count` distinct items, in a stable order. */
  sample<T>(items: readonly T[], count: number): T[];
  chance(probability: number): boolean;
  /** A CNY amount with two decimals, between min and max. */
  money(min: number, max: number): number;
}

/** FNV-1a 32-bit: a stable hash of a string, used as a seed. */
export function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * mulberry32: fast, good enough for test data, and tiny. A class rather than an object of closures: the data set
 * makes several generators per customer, and the warehouse's audience columns make them for every customer at once,
 * so a generator should cost one small object (no functions made, or named by the tsx loader, per generator).
 */
class Mulberry32 implements Rng {
  private state: number;

  constructor(seed: string) {
    this.state = hash(seed);
  }

  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(0, items.length - 1)] as T;
  }

  sample<T>(items: readonly T[], count: number): T[] {
    const pool = [...items];
    const out: T[] = [];
    while (out.length < count && pool.length > 0) out.push(pool.splice(this.int(0, pool.length - 1), 1)[0] as T);
    return out;
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  money(min: number, max: number): number {
    return Math.round((min + this.next() * (max - min)) * 100) / 100;
  }
}

export function rng(seed: string): Rng {
  return new Mulberry32(seed);
}
