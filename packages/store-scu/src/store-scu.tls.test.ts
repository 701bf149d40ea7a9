/**
 * StoreScu over TLS (PS3.15 B.1, the `tls` option of issue 5) against DCMTK `storescp +tls`: server authentication,
 * mutual TLS, and the typed connection error when the server certificate does not verify (wrong CA) or the peer
 * does not speak TLS.
 */
import { writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { createTestPki, startStorescp, type TestPki } from '@netdicom/test-peers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectError } from './errors.js';
import { StoreScuSession } from './session.js';
import { type FileSentEvent, StoreScu } from './store-scu.js';
import { dumpDataset } from './testing/dcmtk.js';
import { grayImage } from './testing/fixtures.js';
import { makeTempDir } from './testing/temp-dir.js';

let pki: TestPki;
let dir: { path: string; cleanup: () => Promise<void> };
beforeAll(async () => {
  pki = await createTestPki({ clientName: 'STORE-SCU' });
  dir = await makeTempDir('store-scu-tls-');
});
afterAll(async () => {
  await pki?.remove();
  await dir?.cleanup();
});

async function fixture(n: number): Promise<{ uid: string; path: string }> {
  const uid = `1.2.826.0.1.3680043.10.99.500.${n}`;
  const path = join(dir.path, `tls-${n}.dcm`);
  await writeFile(path, grayImage(uid));
  return { uid, path };
}

describe('StoreScu over TLS against storescp +tls', () => {
  it('sends files to a TLS storescp that checks no client certificate; they arrive identical', async () => {
    const scp = await startStorescp({
      extraArgs: ['+tls', pki.files.serverKey, pki.files.serverCert, '-ic', '-v'],
    });
    try {
      const files = [await fixture(1), await fixture(2)];
      const sent: FileSentEvent[] = [];
      const scu = new StoreScu({
        addr: `127.0.0.1:${scp.port}`,
        calledAeTitle: scp.aeTitle,
        tls: { ca: pki.pem.caCert },
      });
      for (const file of files) scu.addFile(file.path);
      const result = await scu.send({ onFileSent: (_e, event) => sent.push(event) });
      expect(result).toEqual({ successful: 2, failed: 0, warnings: [], totalFiles: 2 });
      expect(sent).toHaveLength(2);
      // The port speaks TLS only: the same send in plain TCP gets nowhere.
      const plain = await new StoreScu({ addr: `127.0.0.1:${scp.port}`, calledAeTitle: scp.aeTitle, retries: 0 })
        .addFile(files[0]!.path)
        .send()
        .catch((e: unknown) => e);
      expect(plain).toBeInstanceOf(ConnectError);
      const received = await scp.receivedFiles();
      for (const file of files) {
        const arrived = received.find((path) => basename(path) === `CT.${file.uid}`);
        expect(arrived, file.uid).toBeDefined();
        expect(await dumpDataset(arrived!)).toBe(await dumpDataset(file.path));
      }
    } finally {
      await scp.stop();
    }
  });

  it('mutual TLS: storescp requires a client certificate signed by its CA, StoreScu presents one', async () => {
    const scp = await startStorescp({
      extraArgs: ['+tls', pki.files.serverKey, pki.files.serverCert, '+cf', pki.files.caCert, '-rc', '-v'],
    });
    try {
      const file = await fixture(3);
      const withCertificate = new StoreScu({
        addr: `127.0.0.1:${scp.port}`,
        calledAeTitle: scp.aeTitle,
        tls: { ca: pki.pem.caCert, key: pki.pem.clientKey, cert: pki.pem.clientCert },
      });
      expect(await withCertificate.addFile(file.path).send()).toMatchObject({ successful: 1, failed: 0 });
      expect((await scp.receivedFiles()).map((path) => basename(path))).toEqual([`CT.${file.uid}`]);
      // Without a client certificate storescp refuses the TLS handshake: a typed connection error, not a hang.
      const withoutCertificate = new StoreScu({
        addr: `127.0.0.1:${scp.port}`,
        calledAeTitle: scp.aeTitle,
        tls: { ca: pki.pem.caCert },
        retries: 0,
      });
      const error = await withoutCertificate
        .addFile(file.path)
        .send()
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConnectError);
      expect(error).toMatchObject({ failure: 'tls', code: 'ERR_NETDICOM_STORE_SCU_TLS' });
      expect((error as Error).message).toBe(
        `Could not connect to 127.0.0.1:${scp.port}: TLS handshake failed: tlsv13 alert certificate required`,
      );
      expect((await scp.receivedFiles()).length).toBe(1);
    } finally {
      await scp.stop();
    }
  });

  it('StoreScuSession over TLS: echo and store', async () => {
    const scp = await startStorescp({ extraArgs: ['+tls', pki.files.serverKey, pki.files.serverCert, '-ic'] });
    try {
      const file = await fixture(6);
      const session = await StoreScuSession.connect({
        addr: `127.0.0.1:${scp.port}`,
        calledAeTitle: scp.aeTitle,
        tls: { ca: pki.pem.caCert },
      });
      expect(await session.echo()).toMatchObject({ code: 0, category: 'success' });
      expect(await session.store(file.path)).toMatchObject({ code: 0, sopInstanceUid: file.uid });
      await session.release();
      const [arrived, ...more] = await scp.receivedFiles();
      expect(more).toEqual([]);
      expect(await dumpDataset(arrived!)).toBe(await dumpDataset(file.path));
      const refused = await StoreScuSession.connect({
        addr: `127.0.0.1:${scp.port}`,
        calledAeTitle: scp.aeTitle,
        tls: { ca: pki.pem.otherCaCert },
      }).catch((e: unknown) => e);
      expect(refused).toMatchObject({ failure: 'tls', code: 'ERR_NETDICOM_STORE_SCU_TLS' });
    } finally {
      await scp.stop();
    }
  });

  it('a server certificate from another CA fails at once (not retried) with a ConnectError that says it did not verify', async () => {
    const scp = await startStorescp({ extraArgs: ['+tls', pki.files.serverKey, pki.files.serverCert, '-ic'] });
    try {
      const file = await fixture(4);
      const log: string[] = [];
      const scu = new StoreScu({
        addr: `127.0.0.1:${scp.port}`,
        calledAeTitle: scp.aeTitle,
        tls: { ca: pki.pem.otherCaCert },
        // Retries are on: a certificate that does not verify is configuration, and retrying cannot fix it.
        retries: { attempts: 3, initialDelayMs: 20 },
        verbose: (line) => log.push(line),
      });
      const error = await scu
        .addFile(file.path)
        .send()
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConnectError);
      expect(error).toMatchObject({
        failure: 'tls',
        code: 'ERR_NETDICOM_STORE_SCU_TLS',
        address: `127.0.0.1:${scp.port}`,
        message: `Could not connect to 127.0.0.1:${scp.port}: TLS handshake failed: unable to verify the first certificate`,
      });
      expect(log.filter((line) => /retry \d+ of/.test(line))).toEqual([]);
      expect(await scp.receivedFiles()).toEqual([]);
    } finally {
      await scp.stop();
    }
  });

  it('TLS to a plain-TCP storescp fails with a typed connection error', async () => {
    const scp = await startStorescp();
    try {
      const file = await fixture(5);
      const scu = new StoreScu({
        addr: `127.0.0.1:${scp.port}`,
        calledAeTitle: scp.aeTitle,
        tls: { ca: pki.pem.caCert },
        retries: 0,
        timeouts: { connect: 10_000 },
      });
      const error = await scu
        .addFile(file.path)
        .send()
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConnectError);
      expect(error).toMatchObject({ failure: 'tls', code: 'ERR_NETDICOM_STORE_SCU_TLS' });
      expect((error as Error).message).toMatch(
        /TLS handshake failed: the peer closed the connection .*does it speak TLS/,
      );
      expect(await scp.receivedFiles()).toEqual([]);
    } finally {
      await scp.stop();
    }
  });
});
