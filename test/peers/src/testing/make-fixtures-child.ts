// Run by fixtures.test.ts, twice at once, to fill one fresh cache directory from two processes; prints the fixtures
// as JSON. The set includes a GDCM lossy conversion, whose output differs from run to run (new UID).
import { makeFixtureSet } from '../fixtures.js';

const cacheDir = process.argv[2];
if (cacheDir === undefined) throw new Error('usage: make-fixtures-child <cacheDir>');
const fixtures = await makeFixtureSet({
  cacheDir,
  kinds: ['ct', 'sr'],
  transferSyntaxes: ['ExplicitVRLittleEndian', 'JPEG2000', 'ExplicitVRBigEndian'],
});
process.stdout.write(JSON.stringify(fixtures));
