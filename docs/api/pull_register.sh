#!/usr/bin/env bash
# Pull one register's risks from riskreg's API with a token and curl, following the cursor
# pages, into one JSON file (an array of the risks as GET /api/v1/risks/ gives them).
#
#   export RISKREG_TOKEN=rr_...            # python manage.py api_token create ... --read-only
#   docs/api/pull_register.sh https://riskreg.example mopac corporate risks.json
#
# Arguments: BASE_URL ORGANISATION_SLUG REGISTER_SLUG OUT_FILE. Optional environment:
# PAGE_SIZE (risks a page, at most 500; default 100), FIELDS (e.g. ref,title,current_score).
# Needs bash, curl and python3 (for the JSON; jq is not needed). The token is read from the
# environment and handed to curl on its standard input, so it never shows in `ps`. Exits
# non-zero, saying why, on a refused token (401), an organisation the token does not reach
# (404), or any other failure; OUT_FILE is written only when every page arrived.
set -euo pipefail

if [ "$#" -ne 4 ]; then
    echo "usage: RISKREG_TOKEN=rr_... $0 BASE_URL ORGANISATION REGISTER OUT_FILE" >&2
    exit 2
fi
base="${1%/}"
organisation="$2"
register="$3"
out="$4"
if [ -z "${RISKREG_TOKEN:-}" ]; then
    echo "$0: set RISKREG_TOKEN to your API token (python manage.py api_token create ...)" >&2
    exit 2
fi

pages="$(mktemp -d)"
trap 'rm -rf "$pages"' EXIT

url="$base/api/v1/risks/?organisation=$organisation&register=$register&page_size=${PAGE_SIZE:-100}"
if [ -n "${FIELDS:-}" ]; then
    url="$url&fields=$FIELDS"
fi
count=0
while [ -n "$url" ]; do
    # The next page's address comes from the server: follow it only on the same site, so the
    # token is never sent anywhere else.
    case "$url" in
        "$base"/*) ;;
        *) echo "$0: refusing to follow $url (not under $base)" >&2; exit 1 ;;
    esac
    count=$((count + 1))
    page="$pages/$(printf '%05d' "$count").json"
    status="$(
        printf 'header = "Authorization: Bearer %s"\n' "$RISKREG_TOKEN" |
            curl --silent --show-error --config - --output "$page" --write-out '%{http_code}' \
                --header 'Accept: application/json' "$url"
    )"
    if [ "$status" != "200" ]; then
        echo "$0: $url answered $status: $(head -c 500 "$page" 2>/dev/null)" >&2
        exit 1
    fi
    url="$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1])).get("next") or "")' "$page")"
done

python3 - "$pages" "$out" <<'PY'
import json, pathlib, sys
pages, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
risks = [risk for page in sorted(pages.glob("*.json")) for risk in json.loads(page.read_text())["results"]]
out.write_text(json.dumps(risks, indent=2, ensure_ascii=False) + "\n")
print(f"{len(risks)} risks in {len(list(pages.glob('*.json')))} pages written to {out}")
PY
