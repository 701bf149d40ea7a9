/**
 * Exec-on-reception: runs a program after each stored instance (what DCMTK `storescp --exec-on-reception` does), but
 * from an argv array without a shell, so values a peer sent (Patient ID, UIDs) can never become commands, and with a
 * bounded number of programs running and waiting. The store's C-STORE-RSP (PS3.4 B.2.3) never waits for it.
 */
import { spawn } from 'node:child_process';
import { ExecOnReceptionError, StoreScpOptionsError } from './errors.js';

/** Placeholders an exec-on-reception argument may contain, as `{name}`. */
export const EXEC_PLACEHOLDERS = [
  'path',
  'relativePath',
  'sopInstanceUid',
  'sopClassUid',
  'studyInstanceUid',
  'seriesInstanceUid',
  'patientId',
  'patientName',
  'modality',
  'transferSyntax',
  'callingAeTitle',
  'calledAeTitle',
  'remoteAddress',
] as const;

/** A placeholder of {@link EXEC_PLACEHOLDERS}. */
export type ExecPlaceholder = (typeof EXEC_PLACEHOLDERS)[number];

/** Values substituted into an argv template. */
export type ExecValues = Readonly<Record<ExecPlaceholder, string>>;

const PLACEHOLDER = /\{(\w+)\}/g;

/**
 * Checks an argv template: at least the program, known placeholders only. Throws {@link StoreScpOptionsError}.
 */
export function checkExecTemplate(template: readonly string[]): void {
  if (template.length === 0 || template[0] === '') {
    throw new StoreScpOptionsError('execOnReception needs at least the program to run');
  }
  const known = new Set<string>(EXEC_PLACEHOLDERS);
  for (const arg of template) {
    for (const match of arg.matchAll(PLACEHOLDER)) {
      if (!known.has(match[1]!)) {
        throw new StoreScpOptionsError(
          `execOnReception: unknown placeholder {${match[1]}}; known: ${EXEC_PLACEHOLDERS.map((p) => `{${p}}`).join(' ')}`,
        );
      }
    }
  }
}

/**
 * Replaces the placeholders in each argument. Each argument stays one argument whatever the values contain (spaces,
 * `;`, quotes, `$(...)`): no shell ever sees them. NUL characters, which no argv can carry, become `_`.
 */
export function expandExecTemplate(template: readonly string[], values: ExecValues): string[] {
  return template.map((arg) =>
    arg.replace(PLACEHOLDER, (_whole, name: string) => values[name as ExecPlaceholder].replace(/\0/g, '_')),
  );
}

/** Options of {@link createExecRunner}. */
export interface ExecRunnerOptions {
  /** Programs running at once (default 4). */
  readonly concurrency?: number;
  /** Programs waiting to run; beyond, new ones are dropped and reported (default 10 000). */
  readonly maxQueued?: number;
  /** Kill (SIGKILL) a program running longer than this, ms; 0 = never (default 300 000). */
  readonly timeout?: number;
  /** Working directory of the programs. */
  readonly cwd?: string;
  /** Told about programs that could not run, failed, timed out or were dropped. */
  readonly onError: (error: ExecOnReceptionError) => void;
}

/** Runs argv arrays with bounded concurrency; see {@link createExecRunner}. */
export interface ExecRunner {
  /** Queues a program run. */
  run(argv: readonly string[]): void;
  /** Programs running now. */
  readonly running: number;
  /** Programs waiting. */
  readonly queued: number;
  /**
   * Resolves once nothing runs or waits, or at `deadline` (epoch ms): then the programs still waiting are dropped
   * (reported through `onError`); those running are left to finish on their own.
   */
  drain(deadline: number): Promise<void>;
}

const STDERR_TAIL = 2048;

/** Creates an {@link ExecRunner}: `spawn` with `shell: false`, stdin and stdout ignored, the end of stderr kept. */
export function createExecRunner(options: ExecRunnerOptions): ExecRunner {
  const concurrency = options.concurrency ?? 4;
  const maxQueued = options.maxQueued ?? 10_000;
  const timeout = options.timeout ?? 300_000;
  const queue: (readonly string[])[] = [];
  let running = 0;
  let idleWaiters: (() => void)[] = [];

  const settle = () => {
    if (running === 0 && queue.length === 0) for (const wake of idleWaiters.splice(0)) wake();
  };

  const start = (argv: readonly string[]) => {
    running++;
    const [program, ...args] = argv;
    let finished = false;
    let stderr = '';
    let timer: NodeJS.Timeout | undefined;
    const finish = (error: ExecOnReceptionError | undefined) => {
      if (finished) return;
      finished = true;
      if (timer) clearTimeout(timer);
      running--;
      if (error) options.onError(error);
      pump();
      settle();
    };
    try {
      const child = spawn(program!, args, {
        shell: false,
        stdio: ['ignore', 'ignore', 'pipe'],
        ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
      });
      child.stderr?.setEncoding('utf8');
      child.stderr?.on('data', (text: string) => {
        stderr = (stderr + text).slice(-STDERR_TAIL);
      });
      if (timeout > 0) {
        timer = setTimeout(() => {
          child.kill('SIGKILL');
        }, timeout);
        timer.unref();
      }
      child.once('error', (error) => {
        finish(
          new ExecOnReceptionError(
            `exec-on-reception: cannot run ${JSON.stringify(program)}: ${error.message}`,
            { argv },
            { cause: error },
          ),
        );
      });
      child.once('close', (code, signal) => {
        if (code === 0) {
          finish(undefined);
          return;
        }
        const how =
          code === null
            ? `was killed by ${signal}${signal === 'SIGKILL' && timeout > 0 ? ` (timeout ${timeout} ms?)` : ''}`
            : `exited with ${code}`;
        finish(
          new ExecOnReceptionError(`exec-on-reception: ${JSON.stringify(program)} ${how}`, {
            argv,
            ...(code === null ? {} : { exitCode: code }),
            ...(signal === null ? {} : { signal }),
            stderr: stderr.trim(),
          }),
        );
      });
    } catch (error) {
      // spawn throws synchronously for arguments no process can take.
      finish(
        new ExecOnReceptionError(
          `exec-on-reception: cannot run ${JSON.stringify(program)}: ${error instanceof Error ? error.message : String(error)}`,
          { argv },
          { cause: error },
        ),
      );
    }
  };

  const pump = () => {
    while (running < concurrency && queue.length > 0) start(queue.shift()!);
  };

  return {
    run(argv) {
      if (queue.length >= maxQueued) {
        options.onError(
          new ExecOnReceptionError(`exec-on-reception: ${maxQueued} programs already waiting; not running this one`, {
            argv,
          }),
        );
        return;
      }
      queue.push(argv);
      pump();
    },
    get running() {
      return running;
    },
    get queued() {
      return queue.length;
    },
    drain(deadline) {
      if (running === 0 && queue.length === 0) return Promise.resolve();
      return new Promise<void>((resolve) => {
        const timer = setTimeout(
          () => {
            idleWaiters = idleWaiters.filter((w) => w !== wake);
            for (const argv of queue.splice(0)) {
              options.onError(new ExecOnReceptionError('exec-on-reception: not run, the SCP closed first', { argv }));
            }
            resolve();
          },
          Math.max(0, deadline - Date.now()),
        );
        const wake = () => {
          clearTimeout(timer);
          resolve();
        };
        idleWaiters.push(wake);
      });
    },
  };
}
