import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '@netdicom/association';
import { afterEach, expect, test } from 'vitest';
import { StoreScp } from './store-scp.js';

const CT_IMAGE_STORAGE = '1.2.840.10008.5.1.4.1.1.2';
const EXPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2.1';

let dir: string | undefined;
let scp: StoreScp | undefined;
afterEach(async () => {
  await scp?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

test('SCP/SCU role selection: the requestor may be SCU, never SCP, since StoreScp acts only as SCP (PS3.7 D.3.3.4)', async () => {
  dir = await mkdtemp(join(tmpdir(), 'scp-roles-'));
  scp = new StoreScp({ port: 0, host: '127.0.0.1', storageDir: dir });
  const { port } = await scp.listen();
  const association = await connect({
    host: '127.0.0.1',
    port,
    callingAeTitle: 'MODALITY',
    calledAeTitle: 'NETDICOM',
    presentationContexts: [
      { abstractSyntax: CT_IMAGE_STORAGE, transferSyntaxes: [EXPLICIT_VR_LITTLE_ENDIAN], scuRole: true, scpRole: true },
    ],
  });
  try {
    const [context] = association.negotiated.presentationContexts;
    expect(context).toMatchObject({ result: 0, scuRole: true, scpRole: false });
  } finally {
    await association.release();
  }
});
