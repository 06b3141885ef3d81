#!/usr/bin/env bash
# Rebuild riskreg's vendored front-end assets from the npm registry.
#
#   bash static/vendor/build.sh
#
# Installs pinned versions into a throw-away temp dir, compiles GOV.UK Frontend's
# Sass without GOV.UK branding (govuk-frontend/build.scss), checks the result and
# copies it into static/vendor/. Needs Node.js >= 20.19 and npm; touches nothing
# outside static/vendor/ (the temp dir is removed on exit).
#
# To upgrade, override a version, e.g.  GOVUK_FRONTEND_VERSION=5.15.0 bash static/vendor/build.sh
# then update the versions in README.md (the script prints them).
set -euo pipefail

GOVUK_FRONTEND_VERSION="${GOVUK_FRONTEND_VERSION:-5.14.0}"
HTMX_VERSION="${HTMX_VERSION:-2.0.11}"
SASS_VERSION="${SASS_VERSION:-1.108.2}"
MAX_CSS_BYTES=$((200 * 1024))

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"   # .../static/vendor
work="$(mktemp -d "${TMPDIR:-/tmp}/riskreg-fe.XXXXXX")"
trap 'rm -rf "$work"' EXIT

cd "$work"
npm init -y >/dev/null
# --ignore-scripts: nothing here needs an install script (sass's optional
# @parcel/watcher is only for --watch).
npm install --no-audit --no-fund --ignore-scripts --save-exact \
  "govuk-frontend@${GOVUK_FRONTEND_VERSION}" \
  "htmx.org@${HTMX_VERSION}" \
  "sass@${SASS_VERSION}"

gf="$work/node_modules/govuk-frontend"
hx="$work/node_modules/htmx.org"

# --- GOV.UK Frontend CSS -----------------------------------------------------
# Compile from inside the temp dir so the pkg: importer finds node_modules.
cp "$here/govuk-frontend/build.scss" "$work/build.scss"
npx --no-install sass \
  --pkg-importer=node \
  --style=compressed \
  --no-source-map \
  --quiet-deps \
  --silence-deprecation=import \
  build.scss govuk-frontend.min.css

css="$work/govuk-frontend.min.css"
fail() { echo "build.sh: $*" >&2; exit 1; }
grep -q 'govuk-' "$css" || fail "compiled CSS looks empty"
! grep -qi 'GDS Transport' "$css" || fail "CSS mentions GDS Transport"
! grep -qi '@font-face' "$css" || fail "CSS contains an @font-face"
! grep -qiE 'crest|crown[^ ]*\.(svg|png)' "$css" || fail "CSS references a crest/crown image"
# We vendor no GOV.UK assets at all, so the CSS must not point at any file.
if grep -qi 'url(' "$css"; then
  grep -oi 'url([^)]*)' "$css" | sort -u >&2
  fail "CSS references asset urls that are not vendored (see above)"
fi
size=$(wc -c <"$css")
[ "$size" -lt "$MAX_CSS_BYTES" ] || fail "CSS is $size bytes (limit $MAX_CSS_BYTES)"

# --- copy into static/vendor ---------------------------------------------------
install -m 0644 "$css" "$here/govuk-frontend/govuk-frontend.min.css"
install -m 0644 "$gf/dist/govuk/govuk-frontend.min.js" "$here/govuk-frontend/govuk-frontend.min.js"
install -m 0644 "$hx/dist/htmx.min.js" "$here/htmx/htmx.min.js"
install -m 0644 "$hx/LICENSE" "$here/htmx/LICENSE"
# The govuk-frontend npm package ships no licence file (package.json says
# "license": "MIT"); govuk-frontend/LICENSE.txt is kept in the repo by hand.
[ -f "$here/govuk-frontend/LICENSE.txt" ] || fail "govuk-frontend/LICENSE.txt is missing"

# Deliberately NOT copied: dist/govuk/assets/ (GDS Transport fonts, crown/crest,
# GOV.UK favicons, app icons, opengraph image, manifest.json) - all GOV.UK branding.

echo
echo "Vendored:"
printf '  govuk-frontend %s\n  htmx.org       %s\n  (sass          %s, build only)\n' \
  "$(node -p "require('$gf/package.json').version")" \
  "$(node -p "require('$hx/package.json').version")" \
  "$(node -p "require('$work/node_modules/sass/package.json').version")"
cd "$here"
sha256sum govuk-frontend/govuk-frontend.min.css govuk-frontend/govuk-frontend.min.js htmx/htmx.min.js
wc -c govuk-frontend/govuk-frontend.min.css govuk-frontend/govuk-frontend.min.js htmx/htmx.min.js
