/**
 * `@netdicom/test-peers`: real DICOM peers (DCMTK, GDCM) on loopback and locally generated fixtures for the test
 * suites of every netdicom package. Private; consumed from source as a devDependency.
 *
 * @packageDocumentation
 */
export * from './dcmtk.js';
export * from './dcmtk-config.js';
export * from './errors.js';
export * from './fixture-datasets.js';
export * from './fixtures.js';
export * from './large.js';
export * from './node-child.js';
export * from './part10.js';
export * from './pdf.js';
export * from './pki.js';
export * from './ports.js';
export * from './process.js';
export * from './tags.js';
export * from './transfer-syntaxes.js';
export * from './tshark.js';
export * from './uids.js';
