import { createServer } from 'node:net';
import { AssociationRejectedError as UlRejectedError, AssociationTimeoutError } from '@netdicom/association';
import { describe, expect, it } from 'vitest';
import { checkAeTitle, mapConnectError, openAssociation, parseAddress } from './connection.js';
import { AssociationRejectedError, ConnectError, InvalidOptionError } from './errors.js';
import { CT_IMAGE_STORAGE } from './testing/dicom-builder.js';
import { TransferSyntax } from './transfer-syntax.js';

describe('parseAddress', () => {
  it('parses host:port and [v6]:port', () => {
    expect(parseAddress('127.0.0.1:104')).toEqual({ host: '127.0.0.1', port: 104 });
    expect(parseAddress(' pacs.example:11112 ')).toEqual({ host: 'pacs.example', port: 11112 });
    expect(parseAddress('[::1]:4242')).toEqual({ host: '::1', port: 4242 });
  });
  it('rejects anything else with a typed error', () => {
    for (const bad of ['', 'host', 'host:', ':104', 'host:0', 'host:65536', 'host:12x', 'a b:1']) {
      expect(() => parseAddress(bad), bad).toThrow(InvalidOptionError);
    }
  });
});

describe('checkAeTitle', () => {
  it('accepts 1-16 printable characters without backslash', () => {
    expect(checkAeTitle('STORE-SCU', 'x')).toBe('STORE-SCU');
    for (const bad of ['', '   ', 'A'.repeat(17), 'A\\B', 'A\nB'])
      expect(() => checkAeTitle(bad, 'x')).toThrow(InvalidOptionError);
  });
});

describe('mapConnectError', () => {
  it('says what happened', () => {
    const refused = mapConnectError(Object.assign(new Error('x'), { cause: { code: 'ECONNREFUSED' } }), 'h:1');
    expect(refused).toMatchObject({ failure: 'refused', code: 'ERR_NETDICOM_STORE_SCU_CONNECTION_REFUSED' });
    expect(mapConnectError({ code: 'ENOTFOUND' }, 'h:1')).toMatchObject({ failure: 'host-not-found' });
    expect(mapConnectError(new AssociationTimeoutError('connect', 5, 'slow'), 'h:1')).toMatchObject({
      failure: 'timed-out',
    });
    const rejected = mapConnectError(new UlRejectedError(1, 1, 7), 'h:1');
    expect(rejected).toBeInstanceOf(AssociationRejectedError);
    expect(rejected.message).toMatch(/rejected the association: rejected-permanent/);
    expect(rejected.message).toMatch(/called-AE-title-not-recognized/);
  });
});

describe('openAssociation failures over real TCP', () => {
  const contexts = [
    { id: 1, abstractSyntax: CT_IMAGE_STORAGE, transferSyntaxes: [TransferSyntax.ExplicitVRLittleEndian] },
  ];
  it('refused: nothing listens on the port', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const error = await openAssociation({
      host: '127.0.0.1',
      port,
      callingAeTitle: 'A',
      calledAeTitle: 'B',
      presentationContexts: contexts,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectError);
    expect(error).toMatchObject({
      failure: 'refused',
      message: `Could not connect to 127.0.0.1:${port}: connection refused`,
    });
  });
  it('host not found', async () => {
    const error = await openAssociation({
      host: 'no-such-host.invalid',
      port: 104,
      callingAeTitle: 'A',
      calledAeTitle: 'B',
      presentationContexts: contexts,
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ failure: 'host-not-found', code: 'ERR_NETDICOM_STORE_SCU_HOST_NOT_FOUND' });
  });
});
