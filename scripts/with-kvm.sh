#!/usr/bin/env bash
# Runs COMMAND where /dev/kvm is real KVM: here when it is, else inside the nested test host.
# Usage: scripts/with-kvm.sh COMMAND...   (the test host starts with a clean environment: pass
# what the command needs with `env NAME=VALUE ...`)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
if "$repo/scripts/kvm-is-hardware.sh"; then
  exec "$@"
fi
exec "$repo/scripts/testhost-run.sh" "$@"
