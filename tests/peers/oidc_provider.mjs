// An OpenID provider made with node-oidc-provider (panva's certified
// implementation), for the integration tests: the upstream OpenID Connect
// source is checked against an implementation no one in this project wrote.
//
// It makes its own RSA signing key, listens on 127.0.0.1 on a free port and
// prints `listening <issuer>` as its first line. It exits when its standard
// input closes (the test that started it is gone).
//
//   POST /control/client       registers a confidential client (JSON body:
//                              client_id, client_secret, redirect_uris)
//   GET  /interaction/:uid     the login page (a username and password form)
//   POST /interaction/:uid     checks the password of the one test person,
//                              grants the scopes asked for and goes back to
//                              the provider, which answers the client (with
//                              `cancel=1`: the person cancels, access_denied)
//   everything else            node-oidc-provider: discovery, JWKS,
//                              authorization, token, userinfo
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import http from 'node:http';
import Provider from 'oidc-provider';
import { MemoryAdapter } from './memory_adapter.mjs';

const PERSON = {
  username: 'olli.orgaani',
  password: 'Upstream-demo-2026',
  sub: 'a1b2c3d4-entra-object-id',
  claims: { given_name: 'Olli', family_name: 'Orgaani', email: 'olli.orgaani@jkl.example.fi' },
};


const server = http.createServer();
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const jwk = { ...privateKey.export({ format: 'jwk' }), kid: 'peer-rs256', use: 'sig', alg: 'RS256' };

const provider = new Provider(issuer, {
  adapter: MemoryAdapter,
  jwks: { keys: [jwk] },
  cookies: { keys: [randomBytes(32).toString('hex')] },
  claims: { openid: ['sub'], profile: ['given_name', 'family_name'], email: ['email'] },
  // The profile and e-mail claims go into the ID token itself (the gateway
  // reads the ID token, not userinfo).
  conformIdTokenClaims: false,
  features: { devInteractions: { enabled: false } },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  pkce: { required: () => true },
  async findAccount(ctx, sub) {
    if (sub !== PERSON.sub) return undefined;
    return { accountId: sub, claims: async () => ({ sub, ...PERSON.claims }) };
  },
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
    res.end(`<!doctype html><title>Sign in</title><form method="post" action="/interaction/${escape(uid)}">`
      + `<input name="username"><input name="password" type="password"><button>Sign in</button></form>`);
    return;
  }
  const form = new URLSearchParams(await readBody(req));
  if (form.get('cancel')) {
    await provider.interactionFinished(req, res, {
      error: 'access_denied',
      error_description: 'the person cancelled at the provider',
    }, { mergeWithLastSubmission: false });
    return;
  }
  if (form.get('username') !== PERSON.username || form.get('password') !== PERSON.password) {
    res.writeHead(401, { 'content-type': 'text/plain' });
    res.end('wrong username or password');
    return;
  }
  const grant = new provider.Grant({ accountId: PERSON.sub, clientId: details.params.client_id });
  grant.addOIDCScope(details.params.scope);
  const grantId = await grant.save();
  await provider.interactionFinished(req, res, {
    login: { accountId: PERSON.sub },
    consent: { grantId },
  }, { mergeWithLastSubmission: false });
}

const callback = provider.callback();
server.on('request', async (req, res) => {
  try {
    const path = new URL(req.url, issuer).pathname;
    if (req.method === 'POST' && path === '/control/client') {
      const c = JSON.parse(await readBody(req));
      await new MemoryAdapter('Client').upsert(c.client_id, {
        client_id: c.client_id,
        client_secret: c.client_secret,
        redirect_uris: c.redirect_uris,
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
      });
      res.writeHead(200).end('registered');
      return;
    }
    const m = path.match(/^\/interaction\/([^/]+)$/);
    if (m) {
      await interaction(req, res, m[1]);
      return;
    }
    callback(req, res);
  } catch (e) {
    process.stderr.write(`oidc_provider: ${e.stack}\n`);
    if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
    res.end(String(e));
  }
});

process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
process.stdout.write(`listening ${issuer}\n`);
