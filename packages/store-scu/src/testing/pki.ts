/**
 * Throwaway certificates for the TLS tests (PS3.15 B.1), made at test time with the openssl command in a temporary
 * directory: a CA, a server certificate for localhost / 127.0.0.1 signed by it, a client certificate signed by it,
 * and a second CA that signed none of them (the "wrong CA"). Test code only; nothing is kept.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The files {@link createPki} makes. */
export type PkiFile = 'caCert' | 'otherCaCert' | 'serverKey' | 'serverCert' | 'clientKey' | 'clientCert';

/** PEM texts and file paths (for DCMTK's `+tls key cert` and `+cf ca`). */
export interface Pki {
  readonly pem: Readonly<Record<PkiFile, string>>;
  readonly files: Readonly<Record<PkiFile, string>>;
  remove(): Promise<void>;
}

async function openssl(dir: string, args: readonly string[]): Promise<void> {
  await run('openssl', [...args], { cwd: dir });
}

async function makeCa(dir: string, name: string, subject: string): Promise<void> {
  await openssl(dir, [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.crt`,
    '-days',
    '2',
    '-subj',
    subject,
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
}

async function issue(dir: string, name: string, subject: string): Promise<void> {
  await openssl(dir, [
    'req',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.csr`,
    '-subj',
    subject,
  ]);
  await writeFile(
    join(dir, `${name}.ext`),
    'basicConstraints=CA:FALSE\nsubjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n',
  );
  await openssl(dir, [
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
  ]);
}

/** Makes the certificates in a fresh temporary directory; `remove()` deletes it. */
export async function createPki(): Promise<Pki> {
  const dir = await mkdtemp(join(tmpdir(), 'store-scu-pki-'));
  await makeCa(dir, 'ca', '/CN=netdicom store-scu test CA');
  await makeCa(dir, 'other-ca', '/CN=some other CA');
  await issue(dir, 'server', '/CN=localhost');
  await issue(dir, 'client', '/CN=STORE-SCU');
  const files: Record<PkiFile, string> = {
    caCert: join(dir, 'ca.crt'),
    otherCaCert: join(dir, 'other-ca.crt'),
    serverKey: join(dir, 'server.key'),
    serverCert: join(dir, 'server.crt'),
    clientKey: join(dir, 'client.key'),
    clientCert: join(dir, 'client.crt'),
  };
  const pem = {} as Record<PkiFile, string>;
  for (const [key, file] of Object.entries(files) as [PkiFile, string][]) pem[key] = await readFile(file, 'utf8');
  return { pem, files, remove: () => rm(dir, { recursive: true, force: true }) };
}
