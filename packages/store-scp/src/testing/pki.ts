/**
 * Throwaway certificates for the TLS tests (PS3.15 B.1), made at test time with the openssl command: a CA, a server
 * certificate for localhost / 127.0.0.1 and a client certificate signed by it, and a client certificate from another
 * CA that the server does not trust. Test code only.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** PEM texts and their files. */
export interface Pki {
  readonly dir: string;
  readonly pem: Readonly<Record<PkiFile, string>>;
  readonly files: Readonly<Record<PkiFile, string>>;
  remove(): Promise<void>;
}

/** The files {@link createPki} makes. */
export type PkiFile = 'caCert' | 'serverKey' | 'serverCert' | 'clientKey' | 'clientCert' | 'rogueKey' | 'rogueCert';

function openssl(dir: string, args: readonly string[]): Promise<unknown> {
  return execFileAsync('openssl', [...args], { cwd: dir });
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

async function issue(dir: string, ca: string, name: string, subject: string): Promise<void> {
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
    path.join(dir, `${name}.ext`),
    'basicConstraints=CA:FALSE\nsubjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n',
  );
  await openssl(dir, [
    'x509',
    '-req',
    '-in',
    `${name}.csr`,
    '-CA',
    `${ca}.crt`,
    '-CAkey',
    `${ca}.key`,
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

/** Makes the certificates in a fresh temporary directory. */
export async function createPki(): Promise<Pki> {
  const dir = await mkdtemp(path.join(tmpdir(), 'netdicom-scp-pki-'));
  await makeCa(dir, 'ca', '/CN=netdicom store-scp test CA');
  await makeCa(dir, 'rogue-ca', '/CN=someone else');
  await issue(dir, 'ca', 'server', '/CN=localhost');
  await issue(dir, 'ca', 'client', '/CN=MODALITY');
  await issue(dir, 'rogue-ca', 'rogue', '/CN=ROGUE');
  const files: Record<PkiFile, string> = {
    caCert: path.join(dir, 'ca.crt'),
    serverKey: path.join(dir, 'server.key'),
    serverCert: path.join(dir, 'server.crt'),
    clientKey: path.join(dir, 'client.key'),
    clientCert: path.join(dir, 'client.crt'),
    rogueKey: path.join(dir, 'rogue.key'),
    rogueCert: path.join(dir, 'rogue.crt'),
  };
  const pem = {} as Record<PkiFile, string>;
  for (const [key, file] of Object.entries(files) as [PkiFile, string][]) pem[key] = await readFile(file, 'utf8');
  return { dir, pem, files, remove: () => rm(dir, { recursive: true, force: true }) };
}
