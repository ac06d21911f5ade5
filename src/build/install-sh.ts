/**
 * uphop's own install.sh, the entry point of every bundle: a product needs no
 * template of its own (a spec's `install_script` still overrides it). It is a
 * TypeScript string, not a file next to dist/, so it travels with the code in the
 * npm package and in any bundling without a path to resolve. Rendered with the
 * built-ins product, from, to and version; `$${` is a literal `${`.
 */
import { readFile } from 'node:fs/promises';
import { renderTemplate } from '../spec/template.js';
import type { HopSpec } from '../spec/types.js';

export const DEFAULT_INSTALL_SH = `#!/bin/sh
# \${product} upgrade bundle \${from} -> \${to}: entry point (written by uphop).
# Needs only Node.js >= 20: the installer travels in installer/ (no npm, no network).
# Usage: ./install.sh [--root DIR] [--values FILE] [--dry-run] [--allow-unsigned | --trust KEY] ...
#        ./install.sh status|history|resume|rollback|agents|services|report|support-bundle [--root DIR]
set -eu

if ! command -v node >/dev/null 2>&1; then
  echo "install.sh: Node.js 20 or newer is required, but 'node' is not on PATH. Install Node.js >= 20 (https://nodejs.org/) or add it to PATH, then run ./install.sh again." >&2
  exit 3
fi

node_version=$(node -p 'process.versions.node' 2>/dev/null || echo unknown)
node_major=$(echo "$node_version" | cut -d. -f1)
case "$node_major" in
  ''|*[!0-9]*) node_major=0 ;;
esac
if [ "$node_major" -lt 20 ]; then
  echo "install.sh: Node.js 20 or newer is required, but 'node' is $node_version ($(command -v node)). Install Node.js >= 20 or put it first on PATH, then run ./install.sh again." >&2
  exit 3
fi

here=$(cd "$(dirname "$0")" && pwd)
# ./install.sh status|history|resume|rollback|agents|services|report|support-bundle [--root DIR]: the same installer, another command
case "$$\{1:-}" in
  status|history|resume|rollback|agents|services|report|support-bundle|--help|--version) exec node "$here/installer/uphop-installer.cjs" "$@" ;;
esac
exec node "$here/installer/uphop-installer.cjs" install "$here" "$@"
`;

/** the bundle's install.sh: the spec's install_script when it has one, else uphop's own */
export async function renderInstallScript(spec: Pick<HopSpec, 'product' | 'from' | 'to' | 'installScript'>): Promise<Buffer> {
  const builtins = { product: spec.product, from: spec.from, to: spec.to, version: spec.to };
  const source = spec.installScript ?? 'uphop default install.sh';
  const text = spec.installScript ? await readFile(spec.installScript, 'utf8') : DEFAULT_INSTALL_SH;
  return Buffer.from(renderTemplate(text, builtins, { source }));
}
