#!/usr/bin/env bash
# Re-fetch the pinned front-end packages from the npm registry (see README.md beside this file).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
tests_vendor="$here/../../../tests/browser/vendor"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
fetch() {  # fetch NAME@VERSION into ./<dir>
  local spec=$1 dir=$2
  mkdir -p "$dir"
  tarball=$(npm pack --silent "$spec")
  tar xzf "$tarball" -C "$dir"
}
fetch htmx.org@2.0.11 htmx
fetch sortablejs@1.15.7 sortablejs
fetch @rijkshuisstijl-community/design-tokens@11.1.0 tokens
fetch axe-core@4.14.1 axe
cp htmx/package/dist/htmx.min.js "$here/htmx/htmx.min.js"
cp htmx/package/LICENSE "$here/htmx/LICENSE"
cp sortablejs/package/Sortable.min.js "$here/sortablejs/Sortable.min.js"
cp sortablejs/package/LICENSE "$here/sortablejs/LICENSE"
cp tokens/package/dist/kern-lintblauw/root.css "$here/rijkshuisstijl-design-tokens/root.css"
cp tokens/package/LICENSE.md "$here/rijkshuisstijl-design-tokens/LICENSE.md"
cp axe/package/axe.min.js "$tests_vendor/axe.min.js"
cp axe/package/LICENSE "$tests_vendor/axe-core.LICENSE"
echo "Vendored packages updated."
