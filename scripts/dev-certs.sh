#!/usr/bin/env bash
# Makes the development certificates under certs/dev/ (committed, so a fresh
# clone needs no OpenSSL): a development CA, a TLS server certificate for
# localhost/127.0.0.1 signed by it (the HTTPS listener that asks for client
# certificates), and a SAML service-provider signing and encryption key pair.
# NEVER use these outside development: their private keys are public.
#
#   scripts/dev-certs.sh            # writes certs/dev/ (keeps existing files)
#   scripts/dev-certs.sh --force    # makes new ones
set -euo pipefail
cd "$(dirname "$0")/.."
out=certs/dev
mkdir -p "$out"

# Suomi.fi over OpenID Connect ([[sources]] kind = "suomifi_oidc"): the
# gateway's own keys for the source, published at /login/oidc/{id}/jwks —
# RSA 2048 signing request objects and client assertions, and RSA 2048
# (RSA-OAEP-256) and P-256 (ECDH-ES) that the provider encrypts ID tokens
# and userinfo to. PKCS#8. Made when missing, even when the rest exists.
command -v openssl >/dev/null || { echo "openssl is needed: apt-get install openssl" >&2; exit 1; }
# ftn-fed-key signs that key set (OpenID Federation's signed_jwks_uri).
for k in ftn-sig-key:rsa ftn-enc-rsa-key:rsa ftn-enc-ec-key:ec ftn-fed-key:ec; do
  name=${k%%:*}
  [ -f "$out/$name.pem" ] && [ "${1:-}" != "--force" ] && continue
  if [ "${k##*:}" = rsa ]; then
    openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$out/$name.pem" 2>/dev/null
  else
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$out/$name.pem" 2>/dev/null
  fi
  chmod 600 "$out/$name.pem"
  echo "wrote $out/$name.pem"
done

if [ -f "$out/ca.pem" ] && [ "${1:-}" != "--force" ]; then
  echo "certs/dev already has certificates (use --force to replace them)"
  exit 0
fi
command -v openssl >/dev/null || { echo "openssl is needed: apt-get install openssl" >&2; exit 1; }
days=3650

# Development CA (P-256).
openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
  -keyout "$out/ca-key.pem" -out "$out/ca.pem" -days "$days" \
  -subj "/C=FI/O=Porttivahti development/CN=Porttivahti development CA" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null

# TLS server certificate for localhost.
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
  -keyout "$out/server-key.pem" -out "$out/server.csr" \
  -subj "/C=FI/O=Porttivahti development/CN=localhost" 2>/dev/null
cat > "$out/server.ext" <<EXT
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth
subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1
EXT
openssl x509 -req -in "$out/server.csr" -CA "$out/ca.pem" -CAkey "$out/ca-key.pem" \
  -CAcreateserial -out "$out/server.pem" -days "$days" -extfile "$out/server.ext" 2>/dev/null
cat "$out/server.pem" "$out/ca.pem" > "$out/server-chain.pem"

# SAML service provider: RSA 3072 for signing AuthnRequests and decrypting
# assertions (Suomi.fi and most IdPs expect RSA).
openssl req -x509 -new -newkey rsa:3072 -nodes -keyout "$out/saml-sp-key.pem" -out "$out/saml-sp.pem" \
  -days "$days" -subj "/C=FI/O=Porttivahti development/CN=Porttivahti development SAML SP" 2>/dev/null

# The built-in development IdP (/dev-idp/, [dev_idp]): RSA 2048 that signs
# its assertions.
openssl req -x509 -new -newkey rsa:2048 -nodes -keyout "$out/dev-idp-key.pem" -out "$out/dev-idp.pem" \
  -days "$days" -subj "/C=FI/O=Porttivahti development/CN=Porttivahti development IdP" 2>/dev/null

rm -f "$out/server.csr" "$out/server.ext" "$out/ca.srl"
chmod 600 "$out"/*-key.pem
echo "wrote $out: ca.pem, server-chain.pem (+ server-key.pem), saml-sp.pem (+ saml-sp-key.pem), dev-idp.pem (+ dev-idp-key.pem)"
