#!/bin/sh
# Preflight hook: refuses the install when the manager root's file system has less
# free space than the upgrade needs (packages, backup of configs and DB, new release).
#   root:     $UPHOP_ROOT, else the first argument, else /
#   minimum:  $BEACON_MIN_FREE_MB megabytes, default 200
set -eu

root=${UPHOP_ROOT:-${1:-/}}
min_mb=${BEACON_MIN_FREE_MB:-200}
case "$min_mb" in
  ''|*[!0-9]*) echo "check-disk: BEACON_MIN_FREE_MB must be a whole number of megabytes, got '$min_mb'" >&2; exit 2 ;;
esac

# the root may not exist yet on a fresh install: measure its closest existing parent
dir=$root
while [ ! -d "$dir" ]; do dir=$(dirname "$dir"); done

free_kb=$(df -Pk "$dir" | awk 'NR == 2 { print $4 }')
free_mb=$((free_kb / 1024))
if [ "$free_mb" -lt "$min_mb" ]; then
  echo "check-disk: only ${free_mb} MB free on the file system of $dir, the upgrade needs ${min_mb} MB; free some space (old releases, logs) and run the install again." >&2
  exit 1
fi
echo "check-disk: ${free_mb} MB free on the file system of $dir (need ${min_mb} MB)"
