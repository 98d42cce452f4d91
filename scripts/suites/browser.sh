#!/usr/bin/env bash
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
echo "suite browser: not written yet" >&2
exit 1
