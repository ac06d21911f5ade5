#!/usr/bin/env node
/**
 * node scripts/pack-components.mjs [--out artifacts] [--versions 3.4.2,4.2.0] [--components rest-service,worker,agent] [--force]
 * Writes the Beacon Manager component packages (see scripts/lib/pack.mjs for the layout).
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { packComponents } from './lib/pack.mjs';

const list = (s) =>
  s
    ? s
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean)
    : undefined;

try {
  const { values } = parseArgs({
    options: {
      out: { type: 'string' },
      versions: { type: 'string' },
      components: { type: 'string' },
      force: { type: 'boolean', default: false },
    },
  });
  await packComponents({
    outDir: values.out ? path.resolve(values.out) : undefined,
    versions: list(values.versions),
    components: list(values.components),
    force: values.force,
    onPacked: (r) => console.log(`${r.skipped ? 'up to date' : 'packed    '} ${path.relative(process.cwd(), r.file)}  sha256:${r.sha256}`),
  });
} catch (err) {
  console.error(`pack-components: ${err.message}`);
  process.exit(2);
}
