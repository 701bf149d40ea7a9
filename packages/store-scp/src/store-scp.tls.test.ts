/**
 * DICOM over TLS (PS3.15 B.1, TLS 1.2 or later) with a CA made at test time: stores from DCMTK storescu and from our
 * requestor succeed; with `requireClientCertificate` a client without a certificate, or with one from another CA,
 * is refused; a plain-TCP client on the TLS port, and a TLS client on a plain port, fail at once instead of hanging.
 */
import * as path from 'node:path';
import { createTestPki, makeCtSeries, runEchoscu, runStorescu, type TestPki } from '@netdicom/test-peers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectScu, startScp, type TestScp } from './testing/scp.js';

const VERIFICATION = [{ abstractSyntax: '1.2.840.10008.1.1', transferSyntaxes: ['1.2.840.10008.1.2'] }];
/** Generous bound for "fails at once": well below the 30 s ARTIM a hanging handshake would wait for. */
const FAIL_FAST_MS = 15_000;

let pki: TestPki;
let slice: string;
beforeAll(async () => {
  pki = await createTestPki();
  const [ct] = await makeCtSeries(path.join(pki.dir, 'ct'), 1);
  slice = ct!.path;
}, 60_000);
afterAll(async () => {
  await pki?.remove();
});

function dcmtkTls(withClientCertificate: 'client' | 'rogue' | 'none'): string[] {
  const args =
    withClientCertificate === 'none'
      ? ['+tla']
      : withClientCertificate === 'client'
        ? ['+tls', pki.files.clientKey, pki.files.clientCert]
        : ['+tls', pki.files.rogueKey, pki.files.rogueCert];
  return [...args, '+cf', pki.files.caCert];
}

describe('TLS', () => {
  let scp: TestScp | undefined;
  afterAll(async () => {
    await scp?.close();
  });

  it('serves DCMTK storescu and our requestor over TLS (no client certificate asked)', async () => {
    scp = await startScp({ tls: { key: pki.pem.serverKey, cert: pki.pem.serverCert } });
    const sent = await runStorescu({
      port: scp.port,
      aeTitle: 'MODALITY',
      calledAeTitle: 'NETDICOM',
      extraArgs: dcmtkTls('client'),
      files: [slice],
    });
    expect(sent.code, sent.stderr).toBe(0);
    expect(scp.received).toHaveLength(1);
    const scu = await connectScu(scp.port, VERIFICATION, { tls: { ca: pki.pem.caCert, servername: 'localhost' } });
    expect((await scu.client.echo()).status.code).toBe(0);
    await scu.release();
  });

  it('plain TCP on the TLS port, and TLS on a plain port, fail at once', async () => {
    const plainEcho = await runEchoscu({
      port: scp!.port,
      aeTitle: 'PLAIN',
      calledAeTitle: 'NETDICOM',
      timeoutMs: FAIL_FAST_MS,
    });
    expect(plainEcho.code).not.toBe(0);
    await expect(connectScu(scp!.port, VERIFICATION, { timeouts: { connect: FAIL_FAST_MS } })).rejects.toMatchObject({
      code: 'ERR_NETDICOM_TRANSPORT',
      message: expect.stringMatching(/closed the connection without answering/),
    });

    const plain = await startScp();
    try {
      await expect(
        connectScu(plain.port, VERIFICATION, {
          tls: { ca: pki.pem.caCert, servername: 'localhost' },
          timeouts: { connect: FAIL_FAST_MS },
        }),
      ).rejects.toMatchObject({ code: expect.stringMatching(/^ERR_NETDICOM_(TLS|TRANSPORT)$/) });
      const tlsEcho = await runEchoscu({
        port: plain.port,
        aeTitle: 'TLSCLIENT',
        calledAeTitle: 'NETDICOM',
        extraArgs: dcmtkTls('client'),
        timeoutMs: FAIL_FAST_MS,
      });
      expect(tlsEcho.code).not.toBe(0);
      expect(plain.received).toEqual([]);
    } finally {
      await plain.close();
    }
  });
});

describe('TLS with client certificates required', () => {
  let scp: TestScp | undefined;
  beforeAll(async () => {
    scp = await startScp({
      tls: { key: pki.pem.serverKey, cert: pki.pem.serverCert, ca: pki.pem.caCert, requireClientCertificate: true },
    });
  });
  afterAll(async () => {
    await scp?.close();
  });

  it('accepts a client certificate from our CA (DCMTK and ours)', async () => {
    const echo = await runEchoscu({
      port: scp!.port,
      aeTitle: 'MODALITY',
      calledAeTitle: 'NETDICOM',
      extraArgs: dcmtkTls('client'),
    });
    expect(echo.code, echo.stderr).toBe(0);
    const scu = await connectScu(scp!.port, VERIFICATION, {
      tls: { ca: pki.pem.caCert, servername: 'localhost', key: pki.pem.clientKey, cert: pki.pem.clientCert },
    });
    expect((await scu.client.echo()).status.code).toBe(0);
    await scu.release();
  });

  it('refuses a client without a certificate, and one whose certificate another CA signed', async () => {
    await expect(
      connectScu(scp!.port, VERIFICATION, {
        tls: { ca: pki.pem.caCert, servername: 'localhost' },
        timeouts: { connect: FAIL_FAST_MS },
      }),
    ).rejects.toMatchObject({ message: expect.stringMatching(/certificate required/) });
    await expect(
      connectScu(scp!.port, VERIFICATION, {
        tls: { ca: pki.pem.caCert, servername: 'localhost', key: pki.pem.rogueKey, cert: pki.pem.rogueCert },
        timeouts: { connect: FAIL_FAST_MS },
      }),
    ).rejects.toMatchObject({ code: 'ERR_NETDICOM_TRANSPORT' });
    const rogue = await runEchoscu({
      port: scp!.port,
      aeTitle: 'ROGUE',
      calledAeTitle: 'NETDICOM',
      extraArgs: dcmtkTls('rogue'),
      timeoutMs: FAIL_FAST_MS,
    });
    expect(rogue.code).not.toBe(0);
    const anonymous = await runEchoscu({
      port: scp!.port,
      aeTitle: 'ANON',
      calledAeTitle: 'NETDICOM',
      extraArgs: dcmtkTls('none'),
      timeoutMs: FAIL_FAST_MS,
    });
    expect(anonymous.code).not.toBe(0);
    // None of them got as far as an association.
    expect(scp!.ended).toEqual([expect.objectContaining({ callingAeTitle: 'MODALITY' }), expect.anything()]);
  });
});
