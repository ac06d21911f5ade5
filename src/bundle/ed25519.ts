/**
 * The group arithmetic of ed25519 (RFC 8032), so that a signature over a whole
 * archive can be made and checked while the file streams through SHA-512. Node's
 * crypto.sign/verify take the message as one buffer (a 4 GiB bundle would need
 * 4 GiB of memory, and Buffers stop at 4 GiB), and Ed25519ph, the pre-hashed
 * variant, is neither in Node nor what `openssl pkeyutl -rawin` checks. Only the
 * hashing is streamed here: the curve formulas are the RFC's, in extended
 * coordinates with BigInt (a few ms per signature, no secret-dependent timing
 * concern for verification; signing runs on a build machine, see file-sig.ts).
 * Cross-checked against Node's ed25519 and OpenSSL in test/bundle/file-sig.test.ts.
 */
const P = 2n ** 255n - 19n;
/** order of the base point */
export const L = 2n ** 252n + 27742317777372353535851937790883648493n;

const mod = (a: bigint, m = P) => ((a % m) + m) % m;

function pow(base: bigint, exp: bigint, m = P): bigint {
  let r = 1n;
  let b = mod(base, m);
  for (let e = exp; e > 0n; e >>= 1n) {
    if (e & 1n) r = (r * b) % m;
    b = (b * b) % m;
  }
  return r;
}

const inv = (a: bigint) => pow(a, P - 2n);
const D = mod(-121665n * inv(121666n));
const D2 = mod(2n * D);
const SQRT_M1 = pow(2n, (P - 1n) / 4n);

/** extended homogeneous coordinates: x = X/Z, y = Y/Z, xy = T/Z */
type Point = readonly [bigint, bigint, bigint, bigint];

const ZERO: Point = [0n, 1n, 1n, 0n];
const BASE_Y = mod(4n * inv(5n));
const BASE: Point = (() => {
  const x = recoverX(BASE_Y, 0);
  return [x!, BASE_Y, 1n, mod(x! * BASE_Y)];
})();

function add(p: Point, q: Point): Point {
  const a = mod((p[1] - p[0]) * (q[1] - q[0]));
  const b = mod((p[1] + p[0]) * (q[1] + q[0]));
  const c = mod(p[3] * D2 * q[3]);
  const d = mod(p[2] * 2n * q[2]);
  const e = b - a;
  const f = d - c;
  const g = d + c;
  const h = b + a;
  return [mod(e * f), mod(g * h), mod(f * g), mod(e * h)];
}

function multiply(s: bigint, p: Point): Point {
  let q = ZERO;
  let r = p;
  for (let k = s; k > 0n; k >>= 1n) {
    if (k & 1n) q = add(q, r);
    r = add(r, r);
  }
  return q;
}

const negate = (p: Point): Point => [mod(-p[0]), p[1], p[2], mod(-p[3])];

function recoverX(y: bigint, sign: number): bigint | undefined {
  if (y >= P) return undefined;
  const x2 = mod((y * y - 1n) * inv(D * y * y + 1n));
  if (x2 === 0n) return sign ? undefined : 0n;
  let x = pow(x2, (P + 3n) / 8n);
  if (mod(x * x - x2) !== 0n) x = mod(x * SQRT_M1);
  if (mod(x * x - x2) !== 0n) return undefined;
  if (Number(x & 1n) !== sign) x = P - x;
  return x;
}

export const leInt = (b: Uint8Array): bigint => {
  let n = 0n;
  for (let i = b.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(b[i]);
  return n;
};

const leBytes = (n: bigint, len: number): Buffer => {
  const out = Buffer.alloc(len);
  for (let i = 0; i < len; i++, n >>= 8n) out[i] = Number(n & 0xffn);
  return out;
};

export function encodePoint(p: Point): Buffer {
  const zi = inv(p[2]);
  const x = mod(p[0] * zi);
  const y = mod(p[1] * zi);
  return leBytes(y | ((x & 1n) << 255n), 32);
}

export function decodePoint(b: Uint8Array): Point | undefined {
  if (b.length !== 32) return undefined;
  const n = leInt(b);
  const y = n & ((1n << 255n) - 1n);
  const x = recoverX(y, Number(n >> 255n));
  return x === undefined ? undefined : [x, y, 1n, mod(x * y)];
}

/** the secret scalar and nonce prefix of a 32-byte seed (RFC 8032 5.1.5), from SHA-512(seed) */
export function expandSeed(h: Buffer): { scalar: bigint; prefix: Buffer } {
  const a = Buffer.from(h.subarray(0, 32));
  a[0] &= 248;
  a[31] &= 127;
  a[31] |= 64;
  return { scalar: leInt(a), prefix: h.subarray(32, 64) };
}

/** R = [r]B for the nonce r (reduced mod L) */
export const commitment = (r: bigint): Buffer => encodePoint(multiply(mod(r, L), BASE));

/** S = r + k*a mod L, the second half of a signature */
export const response = (r: bigint, k: bigint, scalar: bigint): Buffer => leBytes(mod(r + k * scalar, L), 32);

export const publicPoint = (scalar: bigint): Buffer => encodePoint(multiply(scalar, BASE));

/**
 * The verification equation, cofactorless like OpenSSL and Node: encode([S]B - [k]A)
 * must equal the signature's R bytes; S must be below L (no malleable twin).
 * k = SHA-512(R || A || message) mod L is what the caller streamed.
 */
export function checkEquation(sig: Uint8Array, pub: Uint8Array, k: bigint): boolean {
  if (sig.length !== 64) return false;
  const A = decodePoint(pub);
  if (!A || !decodePoint(sig.subarray(0, 32))) return false;
  const s = leInt(sig.subarray(32, 64));
  if (s >= L) return false;
  const rCheck = add(multiply(s, BASE), negate(multiply(mod(k, L), A)));
  return encodePoint(rCheck).equals(sig.subarray(0, 32));
}
