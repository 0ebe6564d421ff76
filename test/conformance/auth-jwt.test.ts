/**
 * protocol/SPEC.md §9 with real signed tokens: `createJwtAuthResolver` (jose) with an HS256 secret
 * and with a JWKS served over HTTP — valid, expired, not yet valid, wrong audience, wrong issuer,
 * wrong key, unsigned, missing subject, scopes, key rotation, JWKS down — on HTTP routes and the
 * WebSocket; and "anyone is anyone" is gone: a bearer string that is a user id is refused.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CloseCode } from '@taskbridge/protocol';
import { createJwtAuthResolver, type JwtAuthOptions } from '@taskbridge/server-reference';
import { exportJWK, generateKeyPair, type JWK, type JWTPayload, SignJWT, UnsecuredJWT } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { expectErrorEnvelope, taskPaths, uniqueId } from '../support/protocol-calls';
import { startTestServer, type TestServer } from '../support/reference-server';
import { WsSessions } from '../support/ws-client';

const paths = taskPaths();
const sessions = new WsSessions();
const SECRET = 'an HS256 secret of at least 32 bytes!';
const ISSUER = 'https://id.test';
const AUDIENCE = 'taskbridge';

afterEach(() => sessions.closeAll());

function hs256(claims: JWTPayload, options: { secret?: string; expiresIn?: string | number } = {}) {
  let jwt = new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setIssuedAt();
  if (options.expiresIn !== undefined) jwt = jwt.setExpirationTime(options.expiresIn);
  return jwt.sign(new TextEncoder().encode(options.secret ?? SECRET));
}

const valid = (sub: string, extra: JWTPayload = {}) =>
  hs256({ sub, iss: ISSUER, aud: AUDIENCE, ...extra }, { expiresIn: '5m' });

async function createAs(ts: TestServer, token: string | undefined): Promise<Response> {
  return ts.request(paths.create, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
    },
    body: JSON.stringify({ clientRequestId: uniqueId(), taskType: 'greet', input: {} }),
  });
}

describe('JWT auth with an HS256 secret', () => {
  let ts: TestServer;
  beforeAll(async () => {
    ts = await startTestServer({
      auth: createJwtAuthResolver({ secret: SECRET, issuer: ISSUER, audience: AUDIENCE }),
    });
  });
  afterAll(() => ts.close());

  it('a valid token creates a task owned by its subject, and only that subject can read it', async () => {
    const res = await createAs(ts, await valid('alice@corp'));
    expect(res.status).toBe(201);
    const { taskId } = (await res.json()) as { taskId: string };
    const record = await ts.server.engine.getTask(
      { subject: 'alice@corp', scopes: [], attributes: {} },
      taskId,
    );
    expect(record.owner).toBe('alice@corp');
    const own = await ts.request(paths.status(taskId), {
      headers: { authorization: `Bearer ${await valid('alice@corp')}` },
    });
    expect(own.status).toBe(200);
    const other = await ts.request(paths.status(taskId), {
      headers: { authorization: `Bearer ${await valid('bob@corp')}` },
    });
    await expectErrorEnvelope(other, 404, 'TASK_NOT_FOUND');
  });

  it('"anyone is anyone" is gone: a bearer string that is a user id is refused', async () => {
    const res = await createAs(ts, await valid('ceo@corp'));
    const { taskId } = (await res.json()) as { taskId: string };
    const forged = await ts.request(paths.status(taskId), { subject: 'ceo@corp' });
    await expectErrorEnvelope(forged, 401, 'AUTHENTICATION_ERROR');
  });

  it.each<[string, () => Promise<string | undefined>, string]>([
    ['no credentials', async () => undefined, 'credentials required'],
    [
      'an expired token',
      () =>
        hs256({ sub: 'a', iss: ISSUER, aud: AUDIENCE }, { expiresIn: Math.floor(Date.now() / 1000) - 60 }),
      'token expired',
    ],
    ['a token not valid yet', () => valid('a', { nbf: Math.floor(Date.now() / 1000) + 600 }), '"nbf" claim'],
    [
      'a wrong audience',
      () => hs256({ sub: 'a', iss: ISSUER, aud: 'other-api' }, { expiresIn: '5m' }),
      '"aud" claim',
    ],
    [
      'a wrong issuer',
      () => hs256({ sub: 'a', iss: 'https://evil.test', aud: AUDIENCE }, { expiresIn: '5m' }),
      '"iss" claim',
    ],
    [
      'a wrong key',
      () =>
        hs256(
          { sub: 'a', iss: ISSUER, aud: AUDIENCE },
          { expiresIn: '5m', secret: 'another secret, also 32 bytes long' },
        ),
      'invalid token',
    ],
    [
      'an unsigned token (alg none)',
      async () => new UnsecuredJWT({ sub: 'a', iss: ISSUER, aud: AUDIENCE }).setExpirationTime('5m').encode(),
      'algorithm not allowed',
    ],
    ['no exp', () => hs256({ sub: 'a', iss: ISSUER, aud: AUDIENCE }), '"exp" claim'],
    ['no subject', () => hs256({ iss: ISSUER, aud: AUDIENCE }, { expiresIn: '5m' }), 'no "sub" claim'],
    ['garbage', async () => 'not.a.jwt', 'invalid token'],
  ])('401 for %s, without echoing the token', async (_name, token, reason) => {
    const sent = await token();
    const res = await createAs(ts, sent);
    const body = await expectErrorEnvelope(res, 401, 'AUTHENTICATION_ERROR');
    expect(body.message).toContain(reason);
    if (sent !== undefined) expect(JSON.stringify(body)).not.toContain(sent);
  });

  it('accepts a token expired within the clock tolerance (5 s by default)', async () => {
    const token = await hs256(
      { sub: 'a', iss: ISSUER, aud: AUDIENCE },
      { expiresIn: Math.floor(Date.now() / 1000) - 2 },
    );
    expect((await createAs(ts, token)).status).toBe(201);
  });

  it('authenticates the WebSocket upgrade from its Authorization header, 1008 for a bad token', async () => {
    const res = await createAs(ts, await valid('wendy'));
    const { taskId } = (await res.json()) as { taskId: string };
    const good = sessions.connect(`${ts.wsUrl}${paths.websocket}`, {
      headers: { authorization: `Bearer ${await valid('wendy')}` },
    });
    await good.subscribe(taskId);
    expect((await good.closed).code).toBe(CloseCode.NORMAL);
    const bad = sessions.connect(`${ts.wsUrl}${paths.websocket}`, { subject: 'wendy' });
    await bad.subscribe(taskId);
    expect(await bad.closed).toEqual({ code: CloseCode.POLICY_VIOLATION, reason: 'authentication failed' });
  });

  it('refuses the token in the access_token query parameter unless the server allows it', async () => {
    const token = await valid('quentin');
    const res = await ts.request(`${paths.create}?access_token=${token}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ clientRequestId: uniqueId(), taskType: 'greet' }),
    });
    const body = await expectErrorEnvelope(res, 401, 'AUTHENTICATION_ERROR');
    expect(body.message).toContain('access_token');
    const allowing = await startTestServer({
      auth: createJwtAuthResolver({ secret: SECRET, issuer: ISSUER, audience: AUDIENCE }),
      allowAccessTokenQuery: true,
    });
    try {
      const ok = await allowing.request(`${paths.create}?access_token=${token}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ clientRequestId: uniqueId(), taskType: 'greet' }),
      });
      expect(ok.status).toBe(201);
    } finally {
      await allowing.close();
    }
  });
});

describe('JWT options', () => {
  const start = (options: Partial<JwtAuthOptions>) =>
    startTestServer({ auth: createJwtAuthResolver({ secret: SECRET, ...options }) });

  it('reads the subject from subjectClaim and the scopes from scopesClaim; 403 without a required scope', async () => {
    const ts = await start({ subjectClaim: 'email', scopesClaim: 'scp', requiredScopes: ['tasks'] });
    try {
      const ok = await createAs(
        ts,
        await hs256({ email: 'e@corp', scp: ['tasks', 'x'] }, { expiresIn: '5m' }),
      );
      expect(ok.status).toBe(201);
      const { taskId } = (await ok.json()) as { taskId: string };
      const record = await ts.server.engine.getTask(
        { subject: 'e@corp', scopes: [], attributes: {} },
        taskId,
      );
      expect(record.owner).toBe('e@corp');
      const missing = await createAs(ts, await hs256({ email: 'e@corp', scp: 'x y' }, { expiresIn: '5m' }));
      const body = await expectErrorEnvelope(missing, 403, 'TASK_OWNERSHIP_ERROR');
      expect(body.details).toMatchObject({ reason: 'insufficient_scope' });
    } finally {
      await ts.close();
    }
  });

  it('refuses configurations that cannot be safe', () => {
    expect(() => createJwtAuthResolver({})).toThrow(TypeError);
    expect(() => createJwtAuthResolver({ secret: 'short' })).toThrow(/32 bytes/);
    expect(() => createJwtAuthResolver({ secret: SECRET, jwksUrl: 'http://127.0.0.1/jwks' })).toThrow(
      TypeError,
    );
  });
});

describe('JWT auth with a JWKS (RS256), key rotation', () => {
  let jwks: Server;
  let keys: JWK[] = [];
  let fetches = 0;
  let down = false;
  let jwksUrl: string;

  beforeAll(async () => {
    jwks = createServer((_req, res) => {
      fetches += 1;
      if (down) return void res.writeHead(503).end();
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys }));
    });
    await new Promise<void>((ready) => jwks.listen(0, '127.0.0.1', ready));
    jwksUrl = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/jwks.json`;
  });
  afterAll(() => new Promise<void>((done) => jwks.close(() => done())));

  async function keyPair(kid: string) {
    const { privateKey, publicKey } = await generateKeyPair('RS256');
    const jwk = { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' };
    const sign = (sub: string) =>
      new SignJWT({ sub, iss: ISSUER, aud: AUDIENCE })
        .setProtectedHeader({ alg: 'RS256', kid })
        .setIssuedAt()
        .setExpirationTime('5m')
        .sign(privateKey);
    return { jwk, sign };
  }

  it('verifies against the served keys, follows a rotation, drops a retired key, 503 when the JWKS is down', async () => {
    const first = await keyPair('k1');
    const second = await keyPair('k2');
    const stranger = await keyPair('k1');
    keys = [first.jwk];
    const ts = await startTestServer({
      auth: createJwtAuthResolver({ jwksUrl, issuer: ISSUER, audience: AUDIENCE, jwksCooldownMs: 0 }),
    });
    try {
      expect((await createAs(ts, await first.sign('ria'))).status).toBe(201);
      // Same kid, another key: the signature check fails.
      await expectErrorEnvelope(await createAs(ts, await stranger.sign('ria')), 401, 'AUTHENTICATION_ERROR');
      // Rotation: the issuer publishes k2 and retires k1; a k2 token makes the resolver refetch.
      keys = [second.jwk];
      const before = fetches;
      expect((await createAs(ts, await second.sign('ria'))).status).toBe(201);
      expect(fetches).toBeGreaterThan(before);
      const retired = await expectErrorEnvelope(
        await createAs(ts, await first.sign('ria')),
        401,
        'AUTHENTICATION_ERROR',
      );
      expect(retired.message).toContain('unknown key');
      // The key set cannot be fetched: the caller is not at fault, it may retry.
      down = true;
      const third = await keyPair('k3');
      const unavailable = await createAs(ts, await third.sign('ria'));
      expect(unavailable.headers.get('retry-after')).toBe('1');
      await expectErrorEnvelope(unavailable, 503, 'INTERNAL_ERROR');
    } finally {
      down = false;
      await ts.close();
    }
  });
});
