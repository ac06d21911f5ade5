/**
 * .deb components in extract mode: the data archive (dpkg-deb --fsys-tarfile) goes
 * through the same safe tar extraction as tarballs, so a hostile package cannot
 * write outside its release folder, and no privileges are needed.
 * The release folder holds the package's file tree as dpkg would install it (./opt/..., ./usr/...).
 */
import path from 'node:path';
import { consumeToolOutput, toolOutput } from '../exec.js';
import { extractTarSafely } from './safe-extract.js';
import type { Extractor } from './types.js';

export const extractDeb: Extractor = async (file, dest) => {
  const tool = toolOutput(['dpkg-deb', '--fsys-tarfile', file], 'PACKAGE_UNPACK_FAILED', `dpkg-deb --fsys-tarfile ${path.basename(file)}`);
  // otherwise the tool's own failure explains more than the truncated stream it leaves behind
  await consumeToolOutput(tool, extractTarSafely(tool.stdout, dest, path.basename(file)), ['PACKAGE_UNSAFE_ENTRY']);
};
