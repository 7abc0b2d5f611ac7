#!/usr/bin/env bash
# Rebuilds the browser's DSTU 4145 signer, gateway/src/gateway/static/vendor/dstu-signer.js, and its licences
# beside it, from the npm registry alone (package-lock.json pins every version). The bundle is committed, as
# axe-core is: the cabinet needs no Node.js to run, test or deploy; run this after changing entry.js or the
# versions in package.json (then `npm install` once to update the lock file).
#
# jkurwa declares asn1.js as a git dependency (muromec/asn1.js: asn1.js 4.9.1 with one fix, negative INTEGERs for
# certificate serials, which the signer does not read); package.json's "overrides" puts the registry's asn1.js
# 4.10.1 in its place.
set -euo pipefail
cd "$(dirname "$0")"
out=../../src/gateway/static/vendor

# the directories of the npm packages the bundle takes code from
packages() {
  npx browserify --list entry.js | sed -n 's#^\(.*/node_modules/[^/]*\)/.*#\1#p' | sort -u
}
mkdir -p "$out"
npm ci --no-audit --no-fund --loglevel=error
npx browserify entry.js --standalone DstuSignerBundle -o "$out/dstu-signer.js.tmp"
{
  echo "// DSTU 4145 signer for the cabinet's signing page, built by gateway/vendor-src/dstu/build.sh from npm:"
  packages | while read -r dir; do
    node -p "const p = require('$dir/package.json'); '//   ' + p.name + ' ' + p.version + ' (' + (p.license || 'see its licence') + ')'"
  done
  cat "$out/dstu-signer.js.tmp"
} > "$out/dstu-signer.js"
rm "$out/dstu-signer.js.tmp"
packages | while read -r dir; do
  node -e '
    const fs = require("fs"), dir = process.argv[1], p = require(dir + "/package.json");
    const text = fs.readdirSync(dir).filter((f) => /^(licen[cs]e|copying)/i.test(f));
    console.log("=".repeat(100));
    console.log(p.name + " " + p.version + " — licence: " + (p.license || "?") + ", author: " +
      (typeof p.author === "object" ? p.author.name : p.author || "?") + ", " + (p.homepage || ""));
    console.log("=".repeat(100));
    if (text.length) {
      console.log(fs.readFileSync(dir + "/" + text[0], "utf8").trim());
    } else {
      console.log("The package on npm ships no licence text; its package.json declares the licence above.");
    }
    console.log();
  ' "$dir"
done > "$out/dstu-signer.LICENSE"
echo "wrote $out/dstu-signer.js and $out/dstu-signer.LICENSE"
