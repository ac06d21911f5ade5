#!/bin/sh
# Builds Ledger's component packages into artifacts/ (or $1), one set per version:
#   ledger-api_<v>_all.deb    the HTTP service (dpkg-deb --build; files under /opt/ledger/api)
#   ledger-cli-<v>.tar.gz     the operator's tool (a plain tarball; files at its top level)
# Only sh, sed, tar, gzip and dpkg-deb. The same sources and SOURCE_DATE_EPOCH give the same bytes.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/artifacts}
versions=${LEDGER_VERSIONS:-1.0.0 1.1.0 1.2.0}
: "${SOURCE_DATE_EPOCH:=1700000000}"
export SOURCE_DATE_EPOCH
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

for v in $versions; do
  # the API as a .deb: its files where dpkg would put them, plus DEBIAN/control
  tree="$work/api-$v"
  mkdir -p "$tree/DEBIAN" "$tree/opt/ledger/api"
  sed "s/@VERSION@/$v/" "$here/src/api/server.py" > "$tree/opt/ledger/api/server.py"
  chmod 0755 "$tree/opt/ledger/api/server.py"
  cat > "$tree/DEBIAN/control" <<CONTROL
Package: ledger-api
Version: $v
Architecture: all
Maintainer: Ledger Team <ledger@example.com>
Depends: python3 (>= 3.9), python3-psycopg2
Description: Ledger API service
CONTROL
  find "$tree" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
  dpkg-deb --root-owner-group -Zgzip --build "$tree" "$out/ledger-api_${v}_all.deb" >/dev/null

  # the CLI as a tarball: its top level is what lands in the release folder
  cli="$work/cli-$v"
  mkdir -p "$cli"
  sed "s/@VERSION@/$v/" "$here/src/cli/ledgerctl.py" > "$cli/ledgerctl.py"
  chmod 0755 "$cli/ledgerctl.py"
  tar --sort=name --mtime="@$SOURCE_DATE_EPOCH" --owner=0 --group=0 --numeric-owner -C "$cli" -cf - . | gzip -n > "$out/ledger-cli-$v.tar.gz"
  echo "built $out/ledger-api_${v}_all.deb $out/ledger-cli-$v.tar.gz"
done
