// An OpenID provider on the Finnish Trust Network's OpenID Connect profile,
// made with node-oidc-provider (panva's certified implementation) and its
// JOSE library `jose`, for the integration tests of the `suomifi_oidc`
// source: it requires signed request objects and private_key_jwt (a jti
// used twice is refused), offers pushed authorization requests, signs ID
// tokens and userinfo with RS256 and then encrypts them to the client's
// published key (RSA-OAEP-256 or ECDH-ES; A256GCM or A128CBC-HS256).
//
// It makes its own RSA signing key, listens on 127.0.0.1 on a free port and
// prints `listening <issuer>` as its first line. It exits when its standard
// input closes.
//
//   POST /control/client   registers a client (JSON: client_id,
//                          redirect_uris, post_logout_redirect_uris,
//                          jwks_uri or jwks, the encryption choices, and
//                          "userinfo_encrypted": false for signed-only
//                          userinfo)
//   POST /control/forge    the next token answer's ID token is replaced by
//                          one made here: {"mode": "tamper" | "none" |
//                          "unknown-key" | "new-key" | "expired" |
//                          "wrong-aud" | "wrong-nonce"} (signed with the provider's key
//                          unless the mode says otherwise, encrypted to the
//                          client's key like the real one)
//   POST /control/publish-new-key  publishes the key "new-key" signs with
//   GET  /control/last-assertion   the client assertion of the last token
//                          request (to show that it cannot be used twice)
//   GET|POST /interaction/:uid     the identification page: a test person
//                          by identity code and a level (acr)
//   everything else        node-oidc-provider
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import http from 'node:http';
import Provider from 'oidc-provider';
import { MemoryAdapter } from './memory_adapter.mjs';
import { CompactEncrypt, SignJWT, importJWK } from 'jose';

// The development IdP's Suomi.fi test people (src/web/dev/idp.rs).
const PEOPLE = {
  '010280-952L': { given_name: 'Sanna', family_name: 'Suominen', satu: '99950001A', municipality_fi: 'Jyväskylä', municipality_sv: 'Jyväskylä' },
  '131052-308T': { given_name: 'Teemu', family_name: 'Toimitusjohtaja', email: 'teemu@rova.example.fi', municipality_fi: 'Rovaniemi', municipality_sv: 'Rovaniemi' },
  '240190-436K': { given_name: 'Tea', family_name: 'Testaaja' },
};
const subOf = (hetu) => `ftn-${Buffer.from(hetu).toString('hex')}`;
const hetuOf = (sub) => Object.keys(PEOPLE).find((h) => subOf(h) === sub);


const server = http.createServer();
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const jwk = { ...privateKey.export({ format: 'jwk' }), kid: 'peer-rs256', use: 'sig', alg: 'RS256' };
// A key that is not published: tokens signed with it must be refused —
// until it is published (POST /control/publish-new-key), as a provider
// rolling its key over does.
const { privateKey: strayKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const publicPart = (k, kid) => {
  const { kty, n, e } = k.export({ format: 'jwk' });
  return { kty, n, e, kid, use: 'sig', alg: 'RS256' };
};
const published = [publicPart(privateKey, 'peer-rs256')];

const LEVELS = [
  'http://ftn.ficora.fi/2017/loa2', 'http://ftn.ficora.fi/2017/loa3',
  'http://eidas.europa.eu/LoA/substantial', 'http://eidas.europa.eu/LoA/high',
  'urn:oid:1.2.246.517.3002.110.999',
];

const provider = new Provider(issuer, {
  adapter: MemoryAdapter,
  jwks: { keys: [jwk] },
  cookies: { keys: [randomBytes(32).toString('hex')] },
  acrValues: LEVELS,
  claims: {
    openid: ['sub'],
    profile: ['given_name', 'family_name', 'email', 'hetu', 'satu', 'municipality_fi', 'municipality_sv'],
  },
  conformIdTokenClaims: false,
  features: {
    devInteractions: { enabled: false },
    requestObjects: { enabled: true, requireSignedRequestObject: true },
    pushedAuthorizationRequests: { enabled: true },
    encryption: { enabled: true },
    jwtUserinfo: { enabled: true },
    rpInitiatedLogout: { enabled: true },
  },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  pkce: { required: () => true },
  // The tests move the gateway's clock a minute on to let it fetch these
  // keys again; its assertions' iat is then that much ahead.
  clockTolerance: 150,
  // The provider fetches the client's keys from its jwks_uri; its guard
  // against fetching special-use addresses would refuse the gateway on
  // loopback, the only place these tests run it.
  fetch: (url, options) => {
    const { dispatcher, ...rest } = options;
    return globalThis.fetch(url, rest);
  },
  async findAccount(ctx, sub) {
    const hetu = hetuOf(sub);
    if (!hetu) return undefined;
    return { accountId: sub, claims: async () => ({ sub, hetu, ...PEOPLE[hetu] }) };
  },
});

const registered = new Map();
let forge = null;
let lastAssertion = null;

async function encryptionKey(meta, alg) {
  const set = meta.jwks ?? await (await fetch(meta.jwks_uri)).json();
  const kty = alg === 'ECDH-ES' ? 'EC' : 'RSA';
  const key = set.keys.find((k) => k.kty === kty && (k.use ?? 'enc') === 'enc');
  if (!key) throw new Error(`the client publishes no ${kty} encryption key`);
  return key;
}

async function forged(mode, ctx, real) {
  if (mode === 'tamper') {
    const p = real.split('.');
    const c = p[3];
    p[3] = (c[0] === 'A' ? 'B' : 'A') + c.slice(1);
    return p.join('.');
  }
  const code = ctx.oidc.entities.AuthorizationCode;
  const meta = registered.get(ctx.oidc.client.clientId);
  const now = Math.floor(Date.now() / 1000);
  const hetu = hetuOf(code.accountId);
  const payload = {
    iss: issuer, sub: code.accountId, aud: meta.client_id, exp: now + 300, iat: now,
    nonce: code.nonce, acr: code.acr, hetu, ...PEOPLE[hetu],
  };
  if (mode === 'expired') { payload.exp = now - 3600; payload.iat = now - 3900; }
  if (mode === 'wrong-aud') payload.aud = 'another-client';
  if (mode === 'wrong-nonce') payload.nonce = 'not-the-nonce-sent';
  let inner;
  if (mode === 'none') {
    const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
    inner = `${b64({ alg: 'none', typ: 'JWT' })}.${b64(payload)}.`;
  } else {
    const kid = { 'unknown-key': 'not-published', 'new-key': 'peer-rs256-2027' }[mode] ?? 'peer-rs256';
    inner = await new SignJWT(payload)
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid })
      .sign(kid === 'peer-rs256' ? privateKey : strayKey);
  }
  const alg = meta.id_token_encrypted_response_alg;
  const enc = meta.id_token_encrypted_response_enc;
  const to = await encryptionKey(meta, alg);
  return new CompactEncrypt(new TextEncoder().encode(inner))
    .setProtectedHeader({ alg, enc, cty: 'JWT', kid: to.kid })
    .encrypt(await importJWK(to, alg));
}

provider.use(async (ctx, next) => {
  await next();
  if (ctx.path === '/token' && ctx.method === 'POST') {
    lastAssertion = ctx.oidc?.params?.client_assertion ?? ctx.oidc?.body?.client_assertion ?? null;
    if (forge && ctx.body && ctx.body.id_token) {
      const mode = forge;
      forge = null;
      ctx.body = { ...ctx.body, id_token: await forged(mode, ctx, ctx.body.id_token) };
    }
  }
});

function readBody(req) {
  return new Promise((resolve, reject) => {
    let data = '';
    req.on('data', (c) => { data += c; });
    req.on('end', () => resolve(data));
    req.on('error', reject);
  });
}

const escape = (s) => String(s).replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);

async function interaction(req, res, uid) {
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) throw new Error('interaction mismatch');
  if (req.method === 'GET') {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(`<!doctype html><title>Tunnistaudu</title><form method="post" action="/interaction/${escape(uid)}">`
      + `<input name="hetu"><input name="acr" value="${escape(LEVELS[1])}"><button>OK</button></form>`);
    return;
  }
  const form = new URLSearchParams(await readBody(req));
  if (form.get('cancel')) {
    await provider.interactionFinished(req, res, {
      error: 'access_denied', error_description: 'the person cancelled',
    }, { mergeWithLastSubmission: false });
    return;
  }
  const hetu = form.get('hetu');
  if (!PEOPLE[hetu]) {
    res.writeHead(400, { 'content-type': 'text/plain' });
    res.end('unknown test person');
    return;
  }
  const sub = subOf(hetu);
  const grant = new provider.Grant({ accountId: sub, clientId: details.params.client_id });
  grant.addOIDCScope(details.params.scope);
  const grantId = await grant.save();
  await provider.interactionFinished(req, res, {
    login: { accountId: sub, acr: form.get('acr') || LEVELS[1] },
    consent: { grantId },
  }, { mergeWithLastSubmission: false });
}

const callback = provider.callback();
server.on('request', async (req, res) => {
  try {
    const path = new URL(req.url, issuer).pathname;
    if (req.method === 'POST' && path === '/control/client') {
      const c = JSON.parse(await readBody(req));
      const meta = {
        client_id: c.client_id,
        redirect_uris: c.redirect_uris,
        post_logout_redirect_uris: c.post_logout_redirect_uris ?? [],
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'private_key_jwt',
        token_endpoint_auth_signing_alg: c.signing_alg ?? 'RS256',
        request_object_signing_alg: c.signing_alg ?? 'RS256',
        require_signed_request_object: true,
        id_token_signed_response_alg: 'RS256',
        id_token_encrypted_response_alg: c.id_token_encrypted_response_alg ?? 'RSA-OAEP-256',
        id_token_encrypted_response_enc: c.id_token_encrypted_response_enc ?? 'A256GCM',
        userinfo_signed_response_alg: 'RS256',
        // Userinfo signed and encrypted like the ID token, or (with
        // "userinfo_encrypted": false) signed only.
        ...(c.userinfo_encrypted === false ? {} : {
          userinfo_encrypted_response_alg: c.id_token_encrypted_response_alg ?? 'RSA-OAEP-256',
          userinfo_encrypted_response_enc: c.id_token_encrypted_response_enc ?? 'A256GCM',
        }),
        ...(c.jwks ? { jwks: c.jwks } : { jwks_uri: c.jwks_uri }),
      };
      try {
        await provider.Client.validate(meta);
      } catch (e) {
        res.writeHead(400, { 'content-type': 'text/plain' }).end(`${e.message}: ${e.error_description}`);
        return;
      }
      registered.set(c.client_id, meta);
      await new MemoryAdapter('Client').upsert(c.client_id, meta);
      res.writeHead(200).end('registered');
      return;
    }
    // The provider's published keys (served here, so that a new one can
    // join them while the provider runs).
    if (req.method === 'GET' && path === '/jwks') {
      res.writeHead(200, { 'content-type': 'application/jwk-set+json' }).end(JSON.stringify({ keys: published }));
      return;
    }
    if (req.method === 'POST' && path === '/control/publish-new-key') {
      published.push(publicPart(strayKey, 'peer-rs256-2027'));
      res.writeHead(200).end('published');
      return;
    }
    if (req.method === 'POST' && path === '/control/forge') {
      forge = JSON.parse(await readBody(req)).mode;
      res.writeHead(200).end('armed');
      return;
    }
    if (req.method === 'GET' && path === '/control/last-assertion') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end(lastAssertion ?? '');
      return;
    }
    const m = path.match(/^\/interaction\/([^/]+)$/);
    if (m) {
      await interaction(req, res, m[1]);
      return;
    }
    callback(req, res);
  } catch (e) {
    process.stderr.write(`ftn_provider: ${e.stack}\n`);
    if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
    res.end(String(e));
  }
});

provider.on('server_error', (ctx, err) => process.stderr.write(`ftn_provider server_error: ${err.stack}\n`));
for (const ev of ['jwks.error', 'authorization.error', 'grant.error', 'pushed_authorization_request.error', 'userinfo.error']) {
  provider.on(ev, (ctx, err) => process.stderr.write(`ftn_provider ${ev}: ${err.message} ${err.error_description ?? ''} ${err.error_detail ?? ''} ${err.cause?.message ?? ''} ${err.cause?.cause?.message ?? ''}\n`));
}

process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
process.stdout.write(`listening ${issuer}\n`);
