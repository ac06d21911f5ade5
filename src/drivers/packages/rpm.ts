/**
 * .rpm components in extract mode: rpm2cpio streams the payload, which goes through
 * our own cpio reader (cpio.ts) rather than cpio(1), so the path refusals are the
 * same as for tarballs and .debs. The release folder holds the package's file tree.
 */
import path from 'node:path';
import { consumeToolOutput, toolOutput } from '../exec.js';
import { extractCpioSafely } from './cpio.js';
import type { Extractor } from './types.js';

export const extractRpm: Extractor = async (file, dest) => {
  const tool = toolOutput(['rpm2cpio', file], 'PACKAGE_UNPACK_FAILED', `rpm2cpio ${path.basename(file)}`);
  await consumeToolOutput(tool, extractCpioSafely(tool.stdout, dest, path.basename(file)), ['PACKAGE_UNSAFE_ENTRY']);
};
