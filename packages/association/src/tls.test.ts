/**
 * DICOM over TLS (PS3.15 Annex B.1 secure transport; BCP 195): TLS 1.2 minimum, verification on by default, client
 * certificates, and clear errors when only one side speaks TLS. Certificates come from a throwaway CA.
 */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { createServer as createTlsServer, connect as tlsConnect } from 'node:tls';
import { createTestPki, runEchoscu, startStorescp, type TestPki } from '@netdicom/test-peers';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connect } from './connect.js';
import { AssociationTlsError } from './errors.js';
import { createAcceptancePolicy } from './policy.js';
import { answerVerificationAndStorage } from './testing/command-set.js';
import { LOOPBACK, startServer, VERIFICATION, verificationOptions } from './testing/helpers.js';
import type { AssociationRequestInfo } from './policy.js';

let pki: TestPki;
beforeAll(async () => {
  pki = await createTestPki({ clientName: 'NETDICOM-TEST-CLIENT' });
});
afterAll(async () => {
  await pki.remove();
});
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function tlsAcceptor(extra: Record<string, unknown> = {}, infos: AssociationRequestInfo[] = []) {
  const started = await startServer({
    tls: { key: pki.pem.serverKey, cert: pki.pem.serverCert, ca: pki.pem.caCert, ...extra },
    onAssociationRequest: async (request, info) => {
      infos.push(info);
      return createAcceptancePolicy({ abstractSyntaxes: [VERIFICATION], transferSyntaxes: 'any' })(request, info);
    },
  });
  cleanups.push(started.close);
  started.server.associations$.subscribe((association) => answerVerificationAndStorage(association));
  return started;
}

describe('TLS between our requestor and our acceptor', () => {
  it('associates and releases over TLS with the CA trusted', async () => {
    const { port } = await tlsAcceptor();
    const association = await connect(verificationOptions(port, { tls: { ca: pki.pem.caCert } }));
    expect(association.negotiated.acceptedContexts).toHaveLength(1);
    await association.release();
  });

  it('verifies the server certificate by default: an unknown CA fails with AssociationTlsError', async () => {
    const { port } = await tlsAcceptor();
    const attempt = connect(verificationOptions(port, { tls: {} }));
    await expect(attempt).rejects.toBeInstanceOf(AssociationTlsError);
    await expect(attempt).rejects.toMatchObject({ code: 'ERR_NETDICOM_TLS', message: /certificate/i });
  });

  it('mutual TLS: the client certificate is verified and shown to onAssociationRequest', async () => {
    const infos: AssociationRequestInfo[] = [];
    const { port } = await tlsAcceptor({ requestCert: true, rejectUnauthorized: true }, infos);
    const association = await connect(
      verificationOptions(port, { tls: { ca: pki.pem.caCert, key: pki.pem.clientKey, cert: pki.pem.clientCert } }),
    );
    expect(infos[0]?.tlsAuthorized).toBe(true);
    expect(infos[0]?.peerCertificate?.subject.CN).toBe('NETDICOM-TEST-CLIENT');
    await association.release();

    // Without a client certificate the handshake is refused.
    const refused = connect(verificationOptions(port, { tls: { ca: pki.pem.caCert } }));
    await expect(refused).rejects.toMatchObject({ code: expect.stringMatching(/ERR_NETDICOM_(TLS|TRANSPORT)/) });
  });

  it('plain requestor to a TLS acceptor fails fast with a clear error', async () => {
    const { port } = await tlsAcceptor();
    const attempt = connect(verificationOptions(port, { timeouts: { artim: 20_000 } }));
    await expect(attempt).rejects.toMatchObject({ message: /TLS/ });
  });

  it('TLS requestor to a plain acceptor fails fast with AssociationTlsError', async () => {
    const started = await startServer({ timeouts: { artim: 20_000 } });
    cleanups.push(started.close);
    const attempt = connect(verificationOptions(started.port, { tls: { ca: pki.pem.caCert } }));
    await expect(attempt).rejects.toBeInstanceOf(AssociationTlsError);
    await expect(attempt).rejects.toMatchObject({ message: /does not seem to speak TLS/ });
  });

  it.each(['TLSv1', 'TLSv1.1'] as const)('refuses %s', async (version) => {
    const oldClient = {
      host: LOOPBACK,
      ca: pki.pem.caCert,
      minVersion: version,
      maxVersion: version,
      // Security level 0 lets OpenSSL 3 offer the old versions at all.
      ciphers: 'DEFAULT@SECLEVEL=0',
    };
    // Control: this client really speaks the old version with a server that allows it...
    const permissive = createTlsServer({
      key: pki.pem.serverKey,
      cert: pki.pem.serverCert,
      minVersion: 'TLSv1',
      ciphers: 'DEFAULT@SECLEVEL=0',
    });
    permissive.on('secureConnection', (socket) => socket.end());
    permissive.listen(0, LOOPBACK);
    await once(permissive, 'listening');
    cleanups.push(() => new Promise<void>((resolve) => permissive.close(() => resolve())));
    const control = tlsConnect({ ...oldClient, port: (permissive.address() as AddressInfo).port });
    await once(control, 'secureConnect');
    expect(control.getProtocol()).toBe(version);
    control.destroy();

    // ...and our acceptor refuses it.
    const { port } = await tlsAcceptor();
    const socket = tlsConnect({ ...oldClient, port });
    const [error] = (await once(socket, 'error')) as [Error];
    expect(error.message).toMatch(/version|protocol|alert/i);
    socket.destroy();
  });

  it('our requestor never offers less than TLS 1.2, even when asked to', async () => {
    const { port } = await tlsAcceptor();
    const association = await connect(verificationOptions(port, { tls: { ca: pki.pem.caCert, minVersion: 'TLSv1' } }));
    const socket = (association as unknown as { socket: import('node:tls').TLSSocket }).socket;
    expect(['TLSv1.2', 'TLSv1.3']).toContain(socket.getProtocol());
    await association.release();
  });
});

describe('TLS with DCMTK', () => {
  it('echoscu +tls associates and echoes with our TLS acceptor (mutual TLS)', async () => {
    const infos: AssociationRequestInfo[] = [];
    const { port } = await tlsAcceptor({ requestCert: true, rejectUnauthorized: true }, infos);
    const result = await runEchoscu([
      '+tls',
      pki.files.clientKey,
      pki.files.clientCert,
      '+cf',
      pki.files.caCert,
      LOOPBACK,
      String(port),
    ]);
    expect(result.stdout + result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(infos[0]?.tlsAuthorized).toBe(true);
  });

  it('our TLS requestor associates with storescp +tls', async () => {
    const scp = await startStorescp({
      extraArgs: ['+tls', pki.files.serverKey, pki.files.serverCert, '+cf', pki.files.caCert, '-ic'],
    });
    cleanups.push(() => scp.stop());
    const association = await connect(
      verificationOptions(scp.port, {
        calledAeTitle: scp.aeTitle,
        tls: { ca: pki.pem.caCert, servername: 'localhost' },
      }),
    );
    expect(association.negotiated.peerImplementationVersionName).toMatch(/^OFFIS_DCMTK_/);
    await association.release();
  });
});
