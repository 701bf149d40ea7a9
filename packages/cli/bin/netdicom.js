#!/usr/bin/env node
// The `netdicom` command. Runs the built CLI from dist/ (run `pnpm build` in a checkout first).

// Storage fsyncs run on libuv's thread pool: with its default 4 threads, concurrent stores queue behind each other.
// It must be sized before anything uses it, hence the dynamic import below.
process.env.UV_THREADPOOL_SIZE ??= '16';

const { main } = await import('../dist/main.js');
main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env }).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    process.stderr.write(`netdicom: internal error: ${error?.stack ?? error}\n`);
    process.exitCode = 70;
  },
);
