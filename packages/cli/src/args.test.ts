import { describe, expect, test } from 'vitest';
import {
  parseAeTitle,
  parseDimseTimeout,
  parseHostPort,
  parseInteger,
  parseSeconds,
  requestorIdentity,
  requestorTls,
} from './args.js';
import { UsageError } from './errors.js';
import { splitExec } from './commands/listen.js';

describe('HOST:PORT', () => {
  test('names, IPv4, bracketed IPv6, default port', () => {
    expect(parseHostPort('pacs.example.org:104', '--to')).toEqual({ host: 'pacs.example.org', port: 104 });
    expect(parseHostPort('127.0.0.1:11112', '--to')).toEqual({ host: '127.0.0.1', port: 11112 });
    expect(parseHostPort('[::1]:4242', '--to')).toEqual({ host: '::1', port: 4242 });
    expect(parseHostPort('pacs', '--to', 104)).toEqual({ host: 'pacs', port: 104 });
  });

  test('bad ports and missing ports are usage errors naming the flag', () => {
    expect(() => parseHostPort('pacs:0', '--to')).toThrow(UsageError);
    expect(() => parseHostPort('pacs:70000', '--to')).toThrow(/--to: '70000' is not a TCP port/);
    expect(() => parseHostPort('pacs', '--to')).toThrow(/has no port/);
    expect(() => parseHostPort(':104', '--to')).toThrow(/not HOST:PORT/);
  });
});

describe('values', () => {
  test('AE titles: 1-16 printable characters, no backslash, not all spaces', () => {
    expect(parseAeTitle('PACS', '--called')).toBe('PACS');
    expect(parseAeTitle('  CT01 ', '--called')).toBe('CT01');
    for (const bad of ['', '   ', 'A\\B', 'SEVENTEEN-CHARS-X', 'TAB\tX']) {
      expect(() => parseAeTitle(bad, '--called')).toThrow(UsageError);
    }
  });

  test('integers and seconds', () => {
    expect(parseInteger('8', '--window', 1, 1024)).toBe(8);
    expect(() => parseInteger('0', '--window', 1, 1024)).toThrow(/from 1 to 1024/);
    expect(() => parseInteger('2.5', '--window', 1, 1024)).toThrow(UsageError);
    expect(parseSeconds('1.5', '--timeout')).toBe(1500);
    expect(() => parseSeconds('-1', '--timeout')).toThrow(UsageError);
  });

  test('--dimse-timeout: seconds to milliseconds, 0 for no limit, never rounded down to it', () => {
    expect(parseDimseTimeout('30', '--dimse-timeout')).toBe(30_000);
    expect(parseDimseTimeout('0.25', '--dimse-timeout')).toBe(250);
    expect(parseDimseTimeout('0', '--dimse-timeout')).toBe(0);
    expect(parseDimseTimeout('0.0001', '--dimse-timeout')).toBe(1);
    for (const bad of ['-1', 'soon', '1e3', '', '2147484']) {
      expect(() => parseDimseTimeout(bad, '--dimse-timeout'), bad).toThrow(/--dimse-timeout: .* seconds/);
    }
  });
});

describe('TLS and identity flags', () => {
  test('no TLS flag means plain TCP; --tls verifies by default; --tls-insecure turns it off', () => {
    expect(requestorTls({})).toBeUndefined();
    expect(requestorTls({ tls: true })).toEqual({ rejectUnauthorized: true, minVersion: 'TLSv1.2' });
    expect(requestorTls({ 'tls-insecure': true })).toMatchObject({ rejectUnauthorized: false });
    expect(() => requestorTls({ 'tls-cert': 'c.pem' })).toThrow(/go together/);
  });

  test('user identity from --username/--password/--jwt', () => {
    expect(requestorIdentity({})).toBeUndefined();
    expect(requestorIdentity({ username: 'alice' })).toEqual({ type: 'username', username: 'alice' });
    expect(requestorIdentity({ username: 'alice', password: 's3cret' })).toEqual({
      type: 'username-passcode',
      username: 'alice',
      passcode: 's3cret',
    });
    expect(requestorIdentity({ jwt: 'a.b.c' })).toEqual({ type: 'jwt', token: 'a.b.c' });
    expect(() => requestorIdentity({ password: 'x' })).toThrow(/needs --username/);
    expect(() => requestorIdentity({ jwt: 'a.b.c', username: 'alice' })).toThrow(/cannot be combined/);
  });
});

describe('--exec-on-reception', () => {
  test('everything after it is the command, taken literally', () => {
    expect(splitExec(['--port', '104', '--exec-on-reception', './notify.sh', '{path}', '--help'])).toEqual({
      own: ['--port', '104'],
      exec: ['./notify.sh', '{path}', '--help'],
    });
    expect(splitExec(['--exec-on-reception', '--', 'echo', 'x']).exec).toEqual(['echo', 'x']);
    expect(splitExec(['--port', '104'])).toEqual({ own: ['--port', '104'], exec: undefined });
    expect(() => splitExec(['--exec-on-reception'])).toThrow(/needs a command/);
  });
});
