// The other side of the gateway's JOSE (src/jose/) in panva's `jose`, for
// the cross-tests in tests/it/peers/jose_node.rs.
//
// First line out: a JSON object with
//   enc:     public JWKs (RSA and P-256) to encrypt to
//   signed:  [{alg, jwk, token}] tokens this side signed (RS256, PS256,
//            ES256) over the payload {"sub":"cross"} with the key jwk
// Then for every line in (a compact JWE made by the gateway to one of the
// `enc` keys) one line out: `ok <plaintext>` or `error <message>`.
import { createInterface } from 'node:readline';
import { CompactSign, compactDecrypt, exportJWK, generateKeyPair } from 'jose';

const rsa = await generateKeyPair('RSA-OAEP-256', { modulusLength: 2048, extractable: true });
const ec = await generateKeyPair('ECDH-ES', { crv: 'P-256', extractable: true });
const enc = {
  rsa: { ...(await exportJWK(rsa.publicKey)), kid: 'node-rsa', use: 'enc' },
  ec: { ...(await exportJWK(ec.publicKey)), kid: 'node-ec', use: 'enc' },
};
const signed = [];
for (const alg of ['RS256', 'PS256', 'ES256']) {
  const pair = await generateKeyPair(alg, { extractable: true });
  const jwk = { ...(await exportJWK(pair.publicKey)), kid: `node-${alg}`, use: 'sig' };
  const token = await new CompactSign(new TextEncoder().encode('{"sub":"cross"}'))
    .setProtectedHeader({ alg, kid: jwk.kid, typ: 'JWT' })
    .sign(pair.privateKey);
  signed.push({ alg, jwk, token });
}
process.stdout.write(`${JSON.stringify({ enc, signed })}\n`);

for await (const line of createInterface({ input: process.stdin })) {
  try {
    const kid = JSON.parse(Buffer.from(line.split('.')[0], 'base64url')).kid;
    const key = kid === 'node-ec' ? ec.privateKey : rsa.privateKey;
    const { plaintext } = await compactDecrypt(line, key);
    process.stdout.write(`ok ${new TextDecoder().decode(plaintext)}\n`);
  } catch (e) {
    process.stdout.write(`error ${e.message}\n`);
  }
}
