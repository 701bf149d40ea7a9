/**
 * A throwaway PKI made at test time with the openssl CLI: a CA, a server certificate for localhost/127.0.0.1 and a
 * client certificate, all signed by the CA. Nothing is kept after the tests.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface TestPki {
  readonly dir: string;
  readonly caCert: string;
  readonly serverKey: string;
  readonly serverCert: string;
  readonly clientKey: string;
  readonly clientCert: string;
  /** File paths, for DCMTK's +tls / +cf options. */
  readonly files: Readonly<Record<'caCert' | 'serverKey' | 'serverCert' | 'clientKey' | 'clientCert', string>>;
  remove(): Promise<void>;
}

async function openssl(args: string[], cwd: string): Promise<void> {
  await run('openssl', args, { cwd });
}

async function issue(dir: string, name: string, subject: string): Promise<void> {
  await openssl(
    ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject],
    dir,
  );
  await writeFile(
    join(dir, `${name}.ext`),
    'basicConstraints=CA:FALSE\nsubjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n',
  );
  await openssl(
    [
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      `${name}.crt`,
      '-days',
      '2',
      '-sha256',
      '-extfile',
      `${name}.ext`,
    ],
    dir,
  );
}

/** Creates the CA and certificates in a fresh temporary directory. */
export async function createTestPki(): Promise<TestPki> {
  const dir = await mkdtemp(join(tmpdir(), 'netdicom-pki-'));
  await openssl(
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      'ca.key',
      '-out',
      'ca.crt',
      '-days',
      '2',
      '-sha256',
      '-subj',
      '/CN=netdicom throwaway test CA',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ],
    dir,
  );
  await issue(dir, 'server', '/CN=localhost');
  await issue(dir, 'client', '/CN=NETDICOM-TEST-CLIENT');
  const files = {
    caCert: join(dir, 'ca.crt'),
    serverKey: join(dir, 'server.key'),
    serverCert: join(dir, 'server.crt'),
    clientKey: join(dir, 'client.key'),
    clientCert: join(dir, 'client.crt'),
  };
  const read = (path: string) => readFile(path, 'utf8');
  return {
    dir,
    caCert: await read(files.caCert),
    serverKey: await read(files.serverKey),
    serverCert: await read(files.serverCert),
    clientKey: await read(files.clientKey),
    clientCert: await read(files.clientCert),
    files,
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}
