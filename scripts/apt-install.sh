#!/usr/bin/env bash
# Installs Debian packages quietly (with sudo when not root): scripts/apt-install.sh PACKAGE...
# Starts no service a package brings (a policy-rc.d for the time of the install, unless the machine has one):
# the project starts what it needs itself.
set -euo pipefail
[ $# -gt 0 ] || exit 0
echo "bootstrap: installing $* from Debian"
sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
log=$(mktemp)
cleanup() { rm -f "$log"; }
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' | $sudo tee /usr/sbin/policy-rc.d >/dev/null; $sudo chmod +x /usr/sbin/policy-rc.d
  cleanup() { rm -f "$log"; $sudo rm -f /usr/sbin/policy-rc.d; }
fi
trap cleanup EXIT
clusters_before=$(ls /etc/postgresql/*/*/start.conf 2>/dev/null || true)
if ! { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq \
         --no-install-recommends "$@"; } >"$log" 2>&1; then
  tail -n 30 "$log" >&2
  echo "bootstrap: installing $* failed" >&2
  exit 1
fi
# a PostgreSQL cluster the install made (Debian's package makes "main") starts only by hand, not at boot: there it
# would take the port with a password authentication the project's URLs do not use (devtools.infra runs a cluster
# of the project's own)
for conf in /etc/postgresql/*/*/start.conf; do
  [ -e "$conf" ] && ! grep -qxF "$conf" <<<"$clusters_before" && echo manual | $sudo tee "$conf" >/dev/null
done
exit 0
