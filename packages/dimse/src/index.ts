/**
 * `@netdicom/dimse`: DIMSE (PS3.7) over netdicom associations — command sets, statuses, streaming messages,
 * C-ECHO and C-STORE as SCU and SCP.
 */
export * from './commands.js';
export * from './errors.js';
export * from './status.js';
export * from './header-reader.js';
export * from './transfer-syntax.js';
export * from './dataset.js';
