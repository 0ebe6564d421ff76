import { TaskBridgeError } from '@taskbridge/protocol';
import { describe, expect, it } from 'vitest';
import { checkRequestOrigin, type OriginCheckRequest } from './origin-check';

const SELF = '127.0.0.1:8787';
const allowed = new Set(['https://app.example']);

function check(headers: Record<string, string>, method = 'POST'): TaskBridgeError | undefined {
  const request: OriginCheckRequest = { method, headers: { host: SELF, ...headers } };
  try {
    checkRequestOrigin(request, allowed);
    return undefined;
  } catch (error) {
    return error as TaskBridgeError;
  }
}

describe('checkRequestOrigin', () => {
  it.each([
    ['multipart form post', { 'content-type': 'multipart/form-data; boundary=x' }],
    ['urlencoded form post', { 'content-type': 'application/x-www-form-urlencoded' }],
    ['text/plain post', { 'content-type': 'text/plain;charset=UTF-8' }],
    ['bodyless post (a cancel)', {}],
  ])('refuses a cross-origin %s from a page on another site (403)', (_name, headers) => {
    const error = check({ origin: 'https://evil.example', 'sec-fetch-site': 'cross-site', ...headers });
    expect(error).toBeInstanceOf(TaskBridgeError);
    expect(error?.status).toBe(403);
    expect(error?.details).toEqual({ reason: 'cross_origin_request' });
  });

  it('refuses a simple post from a sandboxed or file page (Origin: null)', () => {
    expect(check({ origin: 'null', 'content-type': 'text/plain' })?.status).toBe(403);
  });

  it('refuses a cross-site simple post that carries no Origin (Sec-Fetch-Site only)', () => {
    expect(check({ 'sec-fetch-site': 'cross-site', 'content-type': 'text/plain' })?.status).toBe(403);
  });

  it.each([
    ['an allowed origin', { origin: 'https://app.example', 'content-type': 'multipart/form-data; b=1' }],
    ['the server itself (Origin host = Host)', { origin: `http://${SELF}`, 'content-type': 'text/plain' }],
    ['the server behind TLS (scheme ignored)', { origin: `https://${SELF}`, 'content-type': 'text/plain' }],
    ['a browser saying same-origin', { origin: 'http://proxy', 'sec-fetch-site': 'same-origin' }],
    [
      'a preflighted JSON post (CORS decided)',
      { origin: 'https://evil.example', 'content-type': 'application/json' },
    ],
    ['a non-browser client (no Origin, no Sec-Fetch-Site)', { 'content-type': 'multipart/form-data; b=1' }],
    ['a navigation the user typed (Sec-Fetch-Site: none)', { 'sec-fetch-site': 'none' }],
  ])('lets %s through', (_name, headers) => {
    expect(check(headers)).toBeUndefined();
  });

  it('never checks safe methods', () => {
    expect(check({ origin: 'https://evil.example' }, 'GET')).toBeUndefined();
    expect(check({ origin: 'https://evil.example' }, 'OPTIONS')).toBeUndefined();
  });
});
