import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPki, type TestPki } from './pki.js';

const run = promisify(execFile);

/** `openssl verify`: the exit status and what it printed. */
async function verify(ca: string, cert: string): Promise<{ ok: boolean; output: string }> {
  try {
    const { stdout, stderr } = await run('openssl', ['verify', '-CAfile', ca, cert]);
    return { ok: true, output: stdout + stderr };
  } catch (error) {
    const failure = error as { stdout?: string; stderr?: string };
    return { ok: false, output: `${failure.stdout ?? ''}${failure.stderr ?? ''}` };
  }
}

describe('createTestPki', () => {
  let pki: TestPki;
  beforeAll(async () => {
    pki = await createTestPki({ clientName: 'STORE-SCU' });
  }, 60_000);
  afterAll(async () => {
    await pki?.remove();
  });

  it('signs the server and client certificates with the CA, and the rogue one with the other CA only', async () => {
    expect(await verify(pki.files.caCert, pki.files.serverCert)).toMatchObject({ ok: true });
    expect(await verify(pki.files.caCert, pki.files.clientCert)).toMatchObject({ ok: true });
    expect(await verify(pki.files.otherCaCert, pki.files.rogueCert)).toMatchObject({ ok: true });
    expect(await verify(pki.files.otherCaCert, pki.files.serverCert)).toMatchObject({ ok: false });
    expect(await verify(pki.files.caCert, pki.files.rogueCert)).toMatchObject({ ok: false });
  });

  it('names the server localhost / 127.0.0.1 and the client as asked; the PEM texts are the files', async () => {
    const { stdout: server } = await run('openssl', ['x509', '-in', pki.files.serverCert, '-noout', '-text']);
    expect(server).toMatch(/DNS:localhost, IP Address:127\.0\.0\.1/);
    const { stdout: client } = await run('openssl', ['x509', '-in', pki.files.clientCert, '-noout', '-subject']);
    expect(client.trim()).toBe('subject=CN = STORE-SCU');
    expect(pki.pem.serverKey).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    expect(pki.pem.caCert).toMatch(/^-----BEGIN CERTIFICATE-----/);
  });

  it('remove() deletes the directory', async () => {
    const other = await createTestPki();
    expect(existsSync(other.files.caCert)).toBe(true);
    await other.remove();
    expect(existsSync(other.dir)).toBe(false);
  }, 60_000);
});
