// The README's example, run as written.
import { expect, it } from 'vitest';
import { dcmdumpElements, diffElements, makeFixture, runStorescu, startStorescp, storescuConfigArgs } from './index.js';

it('README example: a JPEG-LS CT goes through storescu to storescp unchanged', async () => {
  const ct = await makeFixture('ct', 'JPEGLSLossless');
  const scp = await startStorescp({ aeTitle: 'STORESCP', acceptAll: true });
  try {
    const { code } = await runStorescu({
      port: scp.port,
      calledAeTitle: 'STORESCP',
      files: [ct.path],
      extraArgs: await storescuConfigArgs([ct]), // propose the file's own transfer syntax
    });
    expect(code).toBe(0);
    const [received] = await scp.receivedFiles();
    expect(diffElements(await dcmdumpElements(ct.path), await dcmdumpElements(received!))).toEqual([]);
  } finally {
    await scp.stop();
  }
});
