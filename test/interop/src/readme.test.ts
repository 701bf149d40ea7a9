// The README lists the cells of the matrix: keep that list true to the code.
import { readFile } from 'node:fs/promises';
import { expect, it } from 'vitest';
import { CLI_CELLS, MATRIX_CELLS, renderCellTable } from './testing/matrix.js';

it('README: the table of cells is the matrix the tests run, with its counts', async () => {
  const readme = await readFile(new URL('../README.md', import.meta.url), 'utf8');
  expect(readme).toContain(renderCellTable());
  expect(readme).toContain(`${MATRIX_CELLS.length} cells`);
  expect(readme).toContain(`${CLI_CELLS.length} cells through the CLI`);
  expect(MATRIX_CELLS).toHaveLength(106);
});
