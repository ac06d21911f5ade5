/** `uphop verify`: the signature policy, then every file, in one streaming pass; nothing is written. */
import { scanBundle, type VerifiedBundle, type VerifyOptions } from './scan.js';

export type { VerifiedBundle, VerifyOptions } from './scan.js';

export const verifyBundle = (bundlePath: string, opts: VerifyOptions = {}): Promise<VerifiedBundle> => scanBundle(bundlePath, opts, 'verify');
