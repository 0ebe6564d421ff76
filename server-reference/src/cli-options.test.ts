import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import type { AuthResolver } from './auth/auth';
import { CLI_USAGE, CliError, readCliConfig } from './cli-options';

describe('taskbridge-server command line', () => {
  const env = {} as NodeJS.ProcessEnv;

  it('requires --auth and names the choices', () => {
    expect(() => readCliConfig([], env)).toThrow(CliError);
    expect(() => readCliConfig([], env)).toThrow(/--auth is required/);
    expect(() => readCliConfig(['--auth', 'none'], env)).toThrow(/expected jwt or demo/);
    expect(CLI_USAGE).toContain('TASKBRIDGE_JWT_SECRET');
  });

  it('--auth demo, the access_token switch, allowed origins, shutdown deadline', () => {
    const config = readCliConfig(
      [
        '--auth',
        'demo',
        '--port',
        '0',
        '--allow-access-token-query',
        '--allowed-origin',
        'https://a.example',
        '--shutdown-timeout-ms',
        '250',
      ],
      { TASKBRIDGE_ALLOWED_ORIGINS: 'https://b.example,https://c.example' } as NodeJS.ProcessEnv,
    );
    expect(config.port).toBe(0);
    expect(config.options).toMatchObject({
      allowAccessTokenQuery: true,
      allowedOrigins: ['https://a.example', 'https://b.example', 'https://c.example'],
      shutdownTimeoutMs: 250,
      streamTickets: true,
    });
  });

  it('--auth jwt needs exactly one key source; the secret comes from the environment', async () => {
    expect(() => readCliConfig(['--auth', 'jwt'], env)).toThrow(
      /exactly one of TASKBRIDGE_JWT_SECRET and --jwt-jwks-url/,
    );
    expect(() =>
      readCliConfig(['--auth', 'jwt', '--jwt-jwks-url', 'http://127.0.0.1:1/jwks'], {
        TASKBRIDGE_JWT_SECRET: 'x'.repeat(32),
      } as NodeJS.ProcessEnv),
    ).toThrow(CliError);
    const config = readCliConfig(['--auth', 'jwt', '--jwt-audience', 'tasks'], {
      TASKBRIDGE_AUTH: 'demo',
      TASKBRIDGE_JWT_SECRET: 'an HS256 secret of at least 32 bytes!',
      TASKBRIDGE_JWT_ISSUER: 'https://id.test',
    } as NodeJS.ProcessEnv);
    const resolve = config.options.auth as AuthResolver;
    const request = { method: 'GET', url: '/', query: {}, pathParams: {} };
    const token = await new SignJWT({ sub: 'ops', iss: 'https://id.test', aud: 'tasks' })
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime('1m')
      .sign(new TextEncoder().encode('an HS256 secret of at least 32 bytes!'));
    expect(await resolve({ ...request, headers: { authorization: `Bearer ${token}` } })).toMatchObject({
      subject: 'ops',
    });
    await expect(resolve({ ...request, headers: { authorization: 'Bearer ops' } })).rejects.toMatchObject({
      code: 'AUTHENTICATION_ERROR',
    });
  });

  it('--runtime bullmq queues tasks for workers and needs Redis; in-process is the default', () => {
    expect(readCliConfig(['--auth', 'demo'], env).options.runtime).toBeUndefined();
    expect(() => readCliConfig(['--auth', 'demo', '--runtime', 'bullmq'], env)).toThrow(/needs --redis/);
    expect(() => readCliConfig(['--auth', 'demo', '--runtime', 'temporal'], env)).toThrow(
      /expected in-process or bullmq/,
    );
    const config = readCliConfig(['--auth', 'demo'], {
      REDIS_URL: '/tmp/r.sock',
      TASKBRIDGE_RUNTIME: 'bullmq',
    } as NodeJS.ProcessEnv);
    expect(config.options).toMatchObject({ redis: '/tmp/r.sock', runtime: 'bullmq' });
    expect(CLI_USAGE).toContain('--runtime');
  });
});
