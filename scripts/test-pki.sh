#!/usr/bin/env bash
# Makes the development test PKI of certificate-card login under
# certs/test-pki/ (committed, so a fresh clone needs neither this script nor
# OpenSSL): a test root, a test card CA under it (trusted by the development
# configuration), a CA nobody trusts, one card certificate of each type
# (professional, staff, operator, substitute, temporary, test) and of each
# way a card can be wrong (expired, revoked, no clientAuth, no
# digitalSignature, wrong CA), and the card CA's CRL, which the development
# gateway serves at /demo/test-pki/card-ca.crl. Beside it, the test PKI of
# mobile certificate login: an operator root (mobile-roots.pem), a mobile
# certificate CA (mobile-ca.pem, its CRL mobile-ca.crl served at
# /demo/test-pki/mobile-ca.crl) and mobile certificates mobile-<name>.pem
# with their keys, which the development MSSP (/dev-mssp/soap) signs with.
#
# The integration tests make the same PKI afresh in the test process
# (tests/it/common/pki.rs, rcgen), so they never depend on these files.
# NEVER trust these outside development: their private keys are public.
#
#   scripts/test-pki.sh                 # (re)writes certs/test-pki/
#   scripts/test-pki.sh --mobile-only   # only the mobile certificate files
set -euo pipefail
cd "$(dirname "$0")/.."
out=certs/test-pki
if [ "${1:-}" = --mobile-only ]; then
  cargo run --quiet --example test_pki -- --mobile-only "$out"
  exit 0
fi
cargo run --quiet --example test_pki -- "$out"
# PKCS#12 bundles (password "test") for importing into a browser.
if command -v openssl >/dev/null; then
  for key in "$out"/*-key.pem; do
    name=$(basename "$key" -key.pem)
    case "$name" in card-ca|mobile-*) continue ;; esac
    openssl pkcs12 -export -in "$out/$name.pem" -inkey "$key" -certfile "$out/card-ca.pem" \
      -name "Test card $name" -passout pass:test -out "$out/$name.p12" 2>/dev/null
  done
  echo "wrote $out/*.p12 (password: test)"
else
  echo "openssl not found: no PKCS#12 files (the PEM files work with curl)"
fi
