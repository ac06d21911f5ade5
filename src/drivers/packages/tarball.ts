/** Tarball components (.tar, .tar.gz, .tgz): always unpacked into the releases layout. */
import { createReadStream } from 'node:fs';
import path from 'node:path';
import type { Extractor } from './types.js';
import { extractTarSafely } from './safe-extract.js';

export const extractTarball: Extractor = (file, dest) => extractTarSafely(createReadStream(file), dest, path.basename(file));
