#!/bin/sh
# Ledger's preflight hook: runs before uphop changes anything (exit non-zero = refuse,
# the last lines of its output are the reason). uphop gives it UPHOP_ROOT, UPHOP_FROM
# ("none" on a fresh install) and UPHOP_TO, in the installer's environment.
set -eu
python=/usr/bin/python3
[ -x "$python" ] || { echo "Ledger needs Debian's python3 ($python): apt-get install -y python3" >&2; exit 1; }
"$python" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 9) else 1)' ||
  { echo "Ledger needs Python 3.9 or newer, $python is $("$python" -V 2>&1)" >&2; exit 1; }
echo "ledger preflight: ${UPHOP_FROM} -> ${UPHOP_TO} in ${UPHOP_ROOT}: ok"
