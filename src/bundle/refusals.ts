/**
 * The refusals a bundle check can raise (exit 3). Each names the bundle and the
 * offending path, and the hint tells the operator what to do next.
 */
import { refusal, type UphopError } from '../errors.js';

const REDOWNLOAD = 'Download or copy the bundle again and compare its sha256 with the published one; if it persists, ask the publisher to rebuild it.';
const MALICIOUS = 'Do not install this bundle: it may have been crafted to write outside its folder. Ask the publisher for a clean build.';

export const bundleRefusal = {
  truncated: (bundle: string, detail: string): UphopError => refusal('BUNDLE_TRUNCATED', `${bundle} is truncated: ${detail}.`, REDOWNLOAD),
  corrupt: (bundle: string, detail: string): UphopError =>
    refusal('BUNDLE_CORRUPT', `${bundle} is not a valid bundle: ${detail}.`, 'Check that this is an uphop bundle (.tar.gz); download it again or rebuild it with `uphop build`.'),
  noManifest: (bundle: string, first: string): UphopError =>
    refusal(
      'BUNDLE_NO_MANIFEST',
      `${bundle} does not start with <top>/bundle.json (its first entry is ${first}).`,
      'Only bundles made by `uphop build` can be used: rebuild it, or ask the publisher for one.',
    ),
  badManifest: (bundle: string, detail: string, problems: { field?: string; message: string }[] = []): UphopError =>
    refusal('BUNDLE_BAD_MANIFEST', `${bundle}: bundle.json is invalid: ${detail}.`, 'Rebuild the bundle with `uphop build`, or ask the publisher for a fixed one.', { problems }),
  unsupportedFormat: (bundle: string, format: unknown, supported: number): UphopError =>
    refusal(
      'BUNDLE_UNSUPPORTED_FORMAT',
      `${bundle}: bundle.json has format ${String(format)}, this uphop reads format ${supported}.`,
      'Use the uphop version the bundle was built for (its installer is inside the bundle: run its install.sh).',
    ),
  ambiguous: (bundle: string, entry: string, rule: string): UphopError =>
    refusal(
      'BUNDLE_AMBIGUOUS',
      `${bundle} holds the entry ${JSON.stringify(entry)}, refused because ${rule}: other tar readers could unpack it differently.`,
      `uphop bundles use one plain tar form that every reader agrees on; this one was not written by \`uphop build\`. ${MALICIOUS}`,
    ),
  unsafePath: (bundle: string, path: string, why: string): UphopError => refusal('BUNDLE_UNSAFE_PATH', `${bundle} holds an unsafe entry ${JSON.stringify(path)}: ${why}.`, MALICIOUS),
  extraFile: (bundle: string, path: string, why = 'it is not listed in bundle.json'): UphopError =>
    refusal('BUNDLE_EXTRA_FILE', `${bundle} holds ${path} but ${why}.`, `The bundle was changed after it was built. ${REDOWNLOAD}`),
  missingFile: (bundle: string, path: string, more: number): UphopError =>
    refusal('BUNDLE_MISSING_FILE', `${bundle} lacks ${path}${more > 0 ? ` and ${more} other file(s)` : ''} listed in bundle.json.`, REDOWNLOAD),
  modified: (bundle: string, path: string, what: string): UphopError =>
    refusal('BUNDLE_FILE_MODIFIED', `${bundle}: ${path} does not match bundle.json (${what}).`, `The file was changed or damaged after the bundle was built. ${REDOWNLOAD}`),
};
