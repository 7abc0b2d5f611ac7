#!/usr/bin/env bash
# Installs everything the project needs on a fresh machine; quick when nothing changed.
#   scripts/bootstrap.sh          what `make run` needs: fonts-dejavu-core (Cyrillic PDFs) from Debian and a .venv
#                                 with every package of the repository (editable) and the development tools
#   scripts/bootstrap.sh --test   and what the tests need besides: chromium (browser tests), prometheus (promtool),
#                                 a JDK and Bouncy Castle (the DSTU 4145 interop check), amqp-tools (the RES bus
#                                 contract tried with a plain C client: amqp-publish, amqp-consume), checkov
set -euo pipefail
cd "$(dirname "$0")/.."
for_tests=false
[ "${1:-}" = "--test" ] && for_tests=true

missing=()
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || missing+=(fonts-dejavu-core)
if $for_tests; then
  command -v chromium >/dev/null 2>&1 || missing+=(chromium)
  command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
  command -v javac >/dev/null 2>&1 || missing+=(default-jdk-headless)
  [ -f /usr/share/java/bcpkix.jar ] || missing+=(libbcprov-java libbcpkix-java)
  command -v amqp-publish >/dev/null 2>&1 || missing+=(amqp-tools)
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "bootstrap: installing ${missing[*]} from Debian"
  sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  # policy-rc.d keeps the prometheus package from starting a server of its own
  printf '#!/bin/sh\nexit 101\n' | $sudo tee /usr/sbin/policy-rc.d >/dev/null; $sudo chmod +x /usr/sbin/policy-rc.d
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  $sudo rm -f /usr/sbin/policy-rc.d
fi

# checkov pins libraries that clash with pytest's, so it lives in a venv of its own (for the deploy tests only)
if $for_tests && [ ! -x deploy/.tools/checkov/bin/checkov ]; then
  echo "bootstrap: installing checkov into deploy/.tools/checkov"
  deploy/install-checkov.sh 2>&1 | grep -v '^WARNING: Location' >/dev/null || true
  [ -x deploy/.tools/checkov/bin/checkov ] || { echo "bootstrap: installing checkov failed" >&2; exit 1; }
fi

python=${PYTHON:-python3.11}
command -v "$python" >/dev/null 2>&1 || python=python3
packages=(shared services/identity services/metering services/billing services/documents services/signature
          services/notify gateway devtools)
stamp=.venv/.bootstrap-stamp
requirements=(requirements-dev.txt)
[ -f deploy/requirements-test.txt ] && requirements+=(deploy/requirements-test.txt)
wanted=$(cat "${requirements[@]}" "${packages[@]/%//pyproject.toml}" | sha256sum)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$wanted" ]; then
  exit 0
fi
[ -x .venv/bin/python ] || "$python" -m venv .venv
echo "bootstrap: installing Python packages into .venv"
.venv/bin/python -m pip install -q --upgrade pip 2>&1 | grep -v '^WARNING: Location' || true
editable=()
for p in "${packages[@]}"; do editable+=(-e "$p"); done
extra=()
for r in "${requirements[@]}"; do extra+=(-r "$r"); done
.venv/bin/python -m pip install -q "${editable[@]}" "${extra[@]}" 2>&1 | grep -v '^WARNING: Location' || true
.venv/bin/python -c "import shared, identity, notify, gateway, devtools" 
echo "$wanted" > "$stamp"
