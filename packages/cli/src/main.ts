import { readFileSync } from 'node:fs';
import { echoCommand } from './commands/echo.js';
import { listenCommand } from './commands/listen.js';
import { sendCommand } from './commands/send.js';
import { CliError } from './errors.js';
import type { Io } from './output.js';

/** One sub-command of `netdicom`. */
export interface Command {
  readonly name: string;
  readonly summary: string;
  readonly help: string;
  /** Runs the command and resolves to the process exit code. */
  run(argv: readonly string[], io: Io): Promise<number>;
}

const commands: readonly Command[] = [echoCommand, sendCommand, listenCommand];

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

function mainHelp(): string {
  const lines = commands.map((c) => `  ${c.name.padEnd(8)} ${c.summary}`);
  return `netdicom — DICOM networking from the shell (C-ECHO, C-STORE, Storage SCP)

Usage: netdicom <command> [options]

Commands:
${lines.join('\n')}

Run 'netdicom <command> --help' for a command's options and examples.

Examples:
  netdicom listen --port 11112 --dir ./dicom-data
  netdicom echo pacs.example.org:104 --called PACS
  netdicom send ./study --to 127.0.0.1:11112 --called NETDICOM

Options:
  -h, --help     show this help
  --version      print the version
`;
}

/**
 * Runs `netdicom` with `argv` (without the node and script paths) and resolves to the exit code:
 * 0 success, 1 some work failed, 2 usage error or no association could be made.
 */
export async function main(argv: readonly string[], io: Io): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
    (first === undefined ? io.stderr : io.stdout).write(mainHelp());
    return first === undefined ? 2 : 0;
  }
  if (first === '--version' || first === '-V') {
    io.stdout.write(`${version()}\n`);
    return 0;
  }
  const command = commands.find((c) => c.name === first);
  if (!command) {
    io.stderr.write(`netdicom: unknown command '${first}'. Commands: ${commands.map((c) => c.name).join(', ')}.\n`);
    return 2;
  }
  // Flags after `--` or `--exec-on-reception` belong to the command being run, not to us.
  const ends = [rest.indexOf('--'), rest.indexOf('--exec-on-reception')].filter((i) => i >= 0);
  const own = ends.length > 0 ? rest.slice(0, Math.min(...ends)) : rest;
  if (own.includes('--help') || own.includes('-h')) {
    io.stdout.write(command.help);
    return 0;
  }
  try {
    return await command.run(rest, io);
  } catch (error) {
    if (error instanceof CliError) {
      io.stderr.write(`netdicom ${command.name}: ${error.message}\n`);
      return error.exitCode;
    }
    throw error;
  }
}
