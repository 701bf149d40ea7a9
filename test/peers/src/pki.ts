/**
 * A throwaway PKI for the TLS tests (PS3.15 B.1), made at test time with the `openssl` command in a temporary
 * directory: a CA; a server certificate for localhost / 127.0.0.1 and a client certificate, both signed by it; and a
 * second CA that signed only a "rogue" client certificate, for the wrong-CA cases (a server certificate that does not
 * verify, a client certificate the server does not trust). EC P-256 keys, valid for two days. Nothing is kept after
 * `remove()`.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The files {@link createTestPki} makes. */
export type TestPkiFile =
  | 'caCert'
  | 'serverKey'
  | 'serverCert'
  | 'clientKey'
  | 'clientCert'
  | 'otherCaCert'
  | 'rogueKey'
  | 'rogueCert';

/** PEM texts (for Node's `tls` options) and file paths (for DCMTK's `+tls key cert` and `+cf ca`). */
export interface TestPki {
  readonly dir: string;
  readonly pem: Readonly<Record<TestPkiFile, string>>;
  readonly files: Readonly<Record<TestPkiFile, string>>;
  remove(): Promise<void>;
}

/** Options of {@link createTestPki}. */
export interface TestPkiOptions {
  /** Common name of the client certificate (default `MODALITY`). */
  readonly clientName?: string;
}

async function openssl(dir: string, args: readonly string[]): Promise<void> {
  await run('openssl', [...args], { cwd: dir });
}

const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

async function makeCa(dir: string, name: string, subject: string): Promise<void> {
  await openssl(dir, [
    'req',
    '-x509',
    ...EC_KEY,
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
  await openssl(dir, ['req', ...EC_KEY, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject]);
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

/** Makes the CAs and certificates in a fresh temporary directory; `remove()` deletes it. */
export async function createTestPki(options: TestPkiOptions = {}): Promise<TestPki> {
  const dir = await mkdtemp(join(tmpdir(), 'netdicom-pki-'));
  try {
    await makeCa(dir, 'ca', '/CN=netdicom test CA');
    await makeCa(dir, 'other-ca', '/CN=some other CA');
    await issue(dir, 'ca', 'server', '/CN=localhost');
    await issue(dir, 'ca', 'client', `/CN=${options.clientName ?? 'MODALITY'}`);
    await issue(dir, 'other-ca', 'rogue', '/CN=ROGUE');
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  const files: Record<TestPkiFile, string> = {
    caCert: join(dir, 'ca.crt'),
    serverKey: join(dir, 'server.key'),
    serverCert: join(dir, 'server.crt'),
    clientKey: join(dir, 'client.key'),
    clientCert: join(dir, 'client.crt'),
    otherCaCert: join(dir, 'other-ca.crt'),
    rogueKey: join(dir, 'rogue.key'),
    rogueCert: join(dir, 'rogue.crt'),
  };
  const pem = {} as Record<TestPkiFile, string>;
  for (const [key, file] of Object.entries(files) as [TestPkiFile, string][]) pem[key] = await readFile(file, 'utf8');
  return { dir, pem, files, remove: () => rm(dir, { recursive: true, force: true }) };
}
