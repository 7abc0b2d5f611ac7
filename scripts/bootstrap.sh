#!/usr/bin/env bash
# Installs what the project needs on a fresh machine; takes a second when nothing changed.
#   scripts/bootstrap.sh          what `make run` needs: fonts-dejavu-core (Cyrillic PDFs) from Debian and a .venv
#                                 with every package of the repository (editable) and moto (the S3 test server)
#   scripts/bootstrap.sh --test   and what the tests need besides: chromium (browser tests), prometheus (promtool),
#                                 a JDK and Bouncy Castle (the DSTU 4145 interop check), amqp-tools (the RES bus
#                                 contract tried with a plain C client: amqp-publish, amqp-consume), the rest of
#                                 requirements-dev.txt and deploy/requirements-test.txt in the .venv, and checkov
#                                 in a venv of its own
# PostgreSQL and RabbitMQ are devtools.infra's (`make infra`, run by `make run` and `make test`): it installs and
# starts them when none answers.
set -euo pipefail
cd "$(dirname "$0")/.."
for_tests=false
[ "${1:-}" = "--test" ] && for_tests=true

# a step's output goes to a log, shown only when the step fails: pip warns a line per index location it skips
quietly() {
  local what=$1 log; shift
  log=$(mktemp)
  if ! "$@" >"$log" 2>&1; then
    tail -n 40 "$log" >&2; rm -f "$log"
    echo "bootstrap: $what failed" >&2
    return 1
  fi
  rm -f "$log"
}

missing=()
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || missing+=(fonts-dejavu-core)
if $for_tests; then
  command -v chromium >/dev/null 2>&1 || missing+=(chromium)
  command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
  command -v javac >/dev/null 2>&1 || missing+=(default-jdk-headless)
  [ -f /usr/share/java/bcpkix.jar ] || missing+=(libbcprov-java libbcpkix-java)
  command -v amqp-publish >/dev/null 2>&1 || missing+=(amqp-tools)
fi
scripts/apt-install.sh "${missing[@]}"

# checkov pins libraries that clash with pytest's, so it lives in a venv of its own (for the deploy tests only);
# it installs while the .venv does
checkov=""
if $for_tests && [ ! -x deploy/.tools/checkov/bin/checkov ]; then
  echo "bootstrap: installing checkov into deploy/.tools/checkov"
  quietly "installing checkov" deploy/install-checkov.sh &
  checkov=$!
fi

python=${PYTHON:-python3.11}
command -v "$python" >/dev/null 2>&1 || python=python3
packages=(shared services/identity services/metering services/billing services/documents services/signature
          services/notify gateway devtools)
editable=()
for p in "${packages[@]}"; do editable+=(-e "$p"); done
# `make run` needs of requirements-dev.txt (tests, lint, benchmarks) only moto, and of moto only its S3 server: its
# line there with moto's S3 extra and the web framework of its server extra, which would bring every AWS service's
# libraries besides (cfn-lint, sympy, docker, ...)
moto=$(grep -E '^moto\[server\]' requirements-dev.txt) \
  || { echo "bootstrap: no moto[server] line in requirements-dev.txt" >&2; exit 1; }
run_requirements=("${moto/\[server\]/[s3]}" flask flask-cors)
test_requirements=(-r requirements-dev.txt -r deploy/requirements-test.txt)
# an install is done again only when what it installs from changed: a stamp per kind, keyed on those files
fingerprint() { { "$python" --version; cat "${packages[@]/%//pyproject.toml}" "$@"; } | sha256sum; }
run_wanted=$(fingerprint <(printf '%s\n' "${run_requirements[@]}"))
test_wanted=$(fingerprint requirements-dev.txt deploy/requirements-test.txt)
current() { [ -f ".venv/.bootstrap-$1" ] && [ "$(cat ".venv/.bootstrap-$1")" = "$2" ]; }

install_venv() {
  [ -x .venv/bin/python ] || "$python" -m venv .venv
  # the packages' builds share the .venv's setuptools instead of installing one each into a build environment
  # of its own (--no-build-isolation); bytecode is compiled on first import (--no-compile)
  quietly "installing setuptools into .venv" .venv/bin/python -m pip install -q --no-compile 'setuptools>=70.1'
  quietly "installing Python packages into .venv" \
    .venv/bin/python -m pip install -q --no-compile --no-build-isolation "${editable[@]}" "$@"
  .venv/bin/python -c "import shared, identity, notify, gateway, devtools"
}

if $for_tests; then
  if ! current test "$test_wanted"; then
    echo "bootstrap: installing Python packages for running and testing into .venv"
    install_venv "${test_requirements[@]}"
    echo "$test_wanted" > .venv/.bootstrap-test
    echo "$run_wanted" > .venv/.bootstrap-run
  fi
elif ! current run "$run_wanted" && ! current test "$test_wanted"; then
  echo "bootstrap: installing Python packages for running into .venv"
  install_venv "${run_requirements[@]}"
  echo "$run_wanted" > .venv/.bootstrap-run
fi

if [ -n "$checkov" ]; then
  wait "$checkov"
fi
