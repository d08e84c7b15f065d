/**
 * Customer ids and mobile numbers (MSISDN) of the mock data set, and the bijection between them.
 *
 * Customer n (1 ≤ n ≤ CUSTOMER_COUNT) has id `C` + n on 8 digits and an 11-digit MSISDN whose last 8 digits
 * are an affine permutation of n, so a lookup by MSISDN needs no table: invert the permutation and check.
 */
export const CUSTOMER_COUNT = 100_000;

const PREFIXES = ['138', '139', '135', '158', '159', '186', '188', '187'] as const;
const MODULUS = 100_000_000;
const MULTIPLIER = 48_271; // odd and not a multiple of 5: invertible modulo 10^8
const OFFSET = 13_572_468;
const INVERSE = modularInverse(MULTIPLIER, MODULUS);

function modularInverse(a: number, m: number): number {
  let [oldR, r] = [BigInt(a), BigInt(m)];
  let [oldS, s] = [1n, 0n];
  while (r !== 0n) {
    const q = oldR / r;
    [oldR, r] = [r, oldR - q * r];
    [oldS, s] = [s, oldS - q * s];
  }
  return Number(((oldS % BigInt(m)) + BigInt(m)) % BigInt(m));
}

const mulMod = (a: number, b: number): number => Number((BigInt(a) * BigInt(b)) % BigInt(MODULUS));

export const customerId = (n: number): string => `C${String(n).padStart(8, '0')}`;

/** The ordinal of a well-formed, existing customer id, or null. */
export function customerNumber(id: string): number | null {
  if (!/^C\d{8}$/.test(id)) return null;
  const n = Number(id.slice(1));
  return n >= 1 && n <= CUSTOMER_COUNT ? n : null;
}

export function msisdnOf(n: number): string {
  const tail = (mulMod(n, MULTIPLIER) + OFFSET) % MODULUS;
  return `${PREFIXES[n % PREFIXES.length]}${String(tail).padStart(8, '0')}`;
}

/** The customer id owning an MSISDN, or null when no customer has it. */
export function customerIdByMsisdn(msisdn: string): string | null {
  if (!/^1\d{10}$/.test(msisdn)) return null;
  const tail = Number(msisdn.slice(3));
  const n = mulMod((tail - OFFSET + MODULUS) % MODULUS, INVERSE);
  if (n < 1 || n > CUSTOMER_COUNT || msisdnOf(n) !== msisdn) return null;
  return customerId(n);
}
