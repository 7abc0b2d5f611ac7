#!/bin/sh
# Makes deploy/.tools/checkov, the virtual environment deploy/tests/test_checkov.py runs checkov from.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
python3.11 -m venv "$here/.tools/checkov"
"$here/.tools/checkov/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements-checkov.txt"
"$here/.tools/checkov/bin/checkov" --version
