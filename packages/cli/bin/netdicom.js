#!/usr/bin/env node
// The `netdicom` command. Runs the built CLI from dist/ (run `pnpm build` in a checkout first).
//
// CommonJS on purpose (bin/package.json): storage fsyncs run on libuv's thread pool, whose size is read once, when
// the pool starts. Node's ES module loader reads files through that pool, so an ES module entry point starts it (with
// the default 4 threads) before its first line runs and the setting below would come too late; a CommonJS entry point
// is read synchronously. With 4 threads, concurrent stores queue their fsyncs behind each other; with far more
// threads than cores, the threads fight over the pool's queue: on 2 cores, 500 create-write-fsync-close cycles took
// twice as long with 16 threads as with 8 (and 8 was as fast as 16 in the file store's bench). Hence 4 per core,
// from 8 to 16.
'use strict';

const { availableParallelism } = require('node:os');

process.env.UV_THREADPOOL_SIZE ??= String(Math.min(16, Math.max(8, 4 * availableParallelism())));

import('../dist/main.js')
  .then(({ main }) => main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env }))
  .then(
    (code) => {
      process.exitCode = code;
      // The command is done. A connection still closing must not keep the process: after an A-ABORT (a second
      // Ctrl-C, a response timeout) an association waits up to its ARTIM timer for the peer to close the connection,
      // which a hung peer never does. Exit once the output written so far has been flushed.
      process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
    },
    (error) => {
      process.stderr.write(`netdicom: internal error: ${error?.stack ?? error}\n`);
      process.exitCode = 70;
    },
  );
