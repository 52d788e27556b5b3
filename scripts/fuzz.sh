#!/usr/bin/env bash
# Fuzzes the SAML response checks for a bounded time (default 120 s):
#
#   scripts/fuzz.sh [seconds]
#
# Needs cargo-fuzz (installed here when missing) and libFuzzer's nightly
# flags, which the stable toolchain allows with RUSTC_BOOTSTRAP=1. Seeds are
# a valid signed and a valid encrypted response from the test IdP, written
# by `cargo run --example saml_fixtures`. A crash leaves its input under
# fuzz/artifacts/saml_response/ and makes this script fail.
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-120}"
command -v cargo-fuzz >/dev/null || cargo install --locked cargo-fuzz
mkdir -p fuzz/corpus/saml_response
cargo run --quiet --example saml_fixtures -- fuzz/corpus/saml_response
cd fuzz
RUSTC_BOOTSTRAP=1 cargo fuzz run saml_response corpus/saml_response -- \
  -max_total_time="$secs" -max_len=65536 -timeout=5
