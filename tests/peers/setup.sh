#!/usr/bin/env bash
# Installs the protocol peers no one in this project wrote, which the
# integration tests in tests/it/peers/ run against:
#   pysaml2 (tests/peers/saml_idp.py) in a virtual environment, tests/peers/.venv
#   node-oidc-provider (tests/peers/oidc_provider.mjs, and ftn_provider.mjs on the
#   Finnish Trust Network's OpenID Connect profile, and jose_peer.mjs, both
#   with its JOSE library `jose`) in tests/peers/node_modules
# Needs python3 (with venv), node (20 or later) and npm, xmlsec1 (pysaml2
# signs and encrypts with it; Debian: apt-get install xmlsec1) and openssl
# (the mobile signature test signs with `openssl cms`). A second run with
# nothing changed installs nothing.
set -euo pipefail
cd "$(dirname "$0")"

missing=0
for tool in python3 node npm xmlsec1 openssl; do
  if ! command -v "$tool" >/dev/null; then
    echo "tests/peers: $tool is missing (see the README's Tests section)" >&2
    missing=1
  fi
done
[ "$missing" = 0 ] || exit 1

if [ ! -x .venv/bin/python ] || ! cmp -s requirements.txt .venv/installed-requirements.txt; then
  rm -rf .venv
  python3 -m venv .venv
  .venv/bin/pip install --quiet --disable-pip-version-check -r requirements.txt
  cp requirements.txt .venv/installed-requirements.txt
fi

if [ ! -d node_modules ] || ! cmp -s package-lock.json node_modules/installed-package-lock.json; then
  npm ci --no-audit --no-fund --loglevel=error >/dev/null
  cp package-lock.json node_modules/installed-package-lock.json
fi
echo "tests/peers: pysaml2 $(.venv/bin/python -c 'import importlib.metadata as m; print(m.version("pysaml2"))'), oidc-provider $(node -p 'require("./node_modules/oidc-provider/package.json").version'), jose $(node -p 'require("./node_modules/jose/package.json").version'), $(xmlsec1 --version), $(openssl version)"
