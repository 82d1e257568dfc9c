import { SenderOptions } from '@questdb/nodejs-client';
import { describe, expect, it } from 'vitest';
import { questDbOptionsFromEnv, resolveEndpoint, resolveOptions, senderConfig } from './config';
import { pickProtocolVersion } from './http';
import { classifyIlpError } from './questdb-store';

describe('QuestDB adapter configuration', () => {
  it('reads QUESTDB_URL (default http://127.0.0.1:9000) and the auth variables from an env', () => {
    expect(questDbOptionsFromEnv({})).toEqual({ url: 'http://127.0.0.1:9000' });
    expect(
      questDbOptionsFromEnv({ QUESTDB_URL: 'https://qdb:9443', QUESTDB_USERNAME: 'u', QUESTDB_PASSWORD: 'p', QUESTDB_TOKEN: 't' }),
    ).toEqual({ url: 'https://qdb:9443', username: 'u', password: 'p', token: 't' });
  });

  it('defaults the port to 9000 and refuses what is not an http(s) URL', () => {
    expect(resolveEndpoint('http://qdb')).toEqual({ protocol: 'http', host: 'qdb', port: 9000, url: 'http://qdb:9000' });
    expect(resolveEndpoint('https://10.0.0.5:443/')).toMatchObject({ protocol: 'https', host: '10.0.0.5', port: 443 });
    expect(resolveEndpoint('http://u:p@qdb:80')).toMatchObject({ host: 'qdb', port: 80, url: 'http://qdb:80' });
    expect(resolveEndpoint('http://[::1]:9001')).toMatchObject({ host: '::1', port: 9001, url: 'http://[::1]:9001' });
    for (const bad of ['qdb:9000', 'tcp://qdb:9009', 'not a url']) {
      expect(() => resolveEndpoint(bad)).toThrow(expect.objectContaining({ code: 'GANZHI_ERR_CFG_INVALID' }));
    }
  });

  it('applies the documented defaults and refuses nonsense numbers', () => {
    const r = resolveOptions({ url: 'http://127.0.0.1:9000' });
    expect(r.flush).toEqual({ autoFlushRows: 1000, flushIntervalMs: 500, maxPendingRows: 10_000 });
    expect(r.retry).toEqual({ initialMs: 100, maxMs: 5000 });
    expect(r).toMatchObject({ requestTimeoutMs: 10_000, awaitVisible: true, openAttempts: 8 });
    expect(() => resolveOptions({ url: 'http://x', autoFlushRows: 0 })).toThrow(expect.objectContaining({ code: 'GANZHI_ERR_CFG_INVALID' }));
    expect(() => resolveOptions({ url: 'http://x', retry: { initialMs: 10, maxMs: 5 } })).toThrow(
      expect.objectContaining({ code: 'GANZHI_ERR_CFG_INVALID' }),
    );
  });

  it('builds a Sender configuration the client accepts, with auto-flush off and credentials escaped', () => {
    const o = { url: 'https://qdb:9000', username: 'admin', password: 'a;b', tlsVerify: false };
    const conf = senderConfig(o, resolveOptions(o));
    expect(conf).toBe(
      'https::addr=qdb:9000;stdlib_http=on;auto_flush=off;request_timeout=10000;retry_timeout=10000;protocol_version=auto;username=admin;password=a;;b;tls_verify=unsafe_off;',
    );
    const parsed = new SenderOptions(conf);
    expect(parsed).toMatchObject({ protocol: 'https', host: 'qdb', port: 9000, stdlib_http: true, auto_flush: false, username: 'admin', password: 'a;b', tls_verify: false });

    const t = { url: 'http://127.0.0.1:9000', token: 'tok', username: 'ignored', password: 'ignored' };
    const withToken = new SenderOptions(senderConfig(t, resolveOptions(t)));
    expect(withToken.token).toBe('tok');
    expect(withToken.username).toBeUndefined();
  });

  it('picks the highest ILP protocol version both sides speak from /settings, else 1', () => {
    const settings = (v: unknown) => ({ config: { 'line.proto.support.versions': v } });
    expect(pickProtocolVersion(settings([1, 2, 3]))).toBe('3');
    expect(pickProtocolVersion(settings([1, 2]))).toBe('2');
    expect(pickProtocolVersion(settings([1, 2, 9]))).toBe('2');
    expect(pickProtocolVersion(settings([]))).toBe('1');
    expect(pickProtocolVersion({ config: {} })).toBe('1');
    expect(pickProtocolVersion(null)).toBe('1');
  });

  it('treats a refused ILP request (4xx) as final and everything else as transient', () => {
    expect(classifyIlpError(new Error('HTTP request failed, statusCode=400, error={"code":"invalid"}'))).toBe('reject');
    expect(classifyIlpError(new Error('HTTP request failed, statusCode=401, error='))).toBe('reject');
    expect(classifyIlpError(new Error('HTTP request failed, statusCode=429, error='))).toBe('retry');
    expect(classifyIlpError(new Error('HTTP request failed, statusCode=503, error='))).toBe('retry');
    expect(classifyIlpError(new Error('HTTP request timeout, no response from server in time'))).toBe('retry');
    expect(classifyIlpError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9000'), { code: 'ECONNREFUSED' }))).toBe('retry');
  });
});
