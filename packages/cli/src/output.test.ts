import { describe, expect, test } from 'vitest';
import {
  formatBytes,
  formatDuration,
  formatElapsed,
  formatStatusCode,
  renderProgress,
  resolveLogLevel,
} from './output.js';

describe('formatting', () => {
  test('bytes in powers of 1000', () => {
    expect(formatBytes(999)).toBe('999 B');
    expect(formatBytes(1536)).toBe('1.5 KB');
    expect(formatBytes(262_700_000)).toBe('262.7 MB');
  });

  test('durations: m:ss for ETAs, seconds for short summaries', () => {
    expect(formatDuration(75.2)).toBe('1:15');
    expect(formatDuration(3725)).toBe('1:02:05');
    expect(formatDuration(Number.NaN)).toBe('--:--');
    expect(formatElapsed(0.734)).toBe('0.7 s');
    expect(formatElapsed(75.2)).toBe('1:15');
  });

  test('status codes as the standard writes them', () => {
    expect(formatStatusCode(0xa700)).toBe('0xA700');
    expect(formatStatusCode(0)).toBe('0x0000');
  });
});

describe('progress line', () => {
  test('bar, files, bytes, rate and ETA', () => {
    const line = renderProgress(
      {
        filesDone: 250,
        totalFiles: 500,
        bytesSent: 131_000_000,
        totalBytes: 262_000_000,
        failed: 0,
        elapsedSeconds: 2,
      },
      100,
    );
    expect(line).toMatch(/^\[#+\.+\] 250\/500 files {2}131\.0 MB\/262\.0 MB {2}65\.5 MB\/s {2}ETA 0:02$/);
    const filled = (line.match(/#/g) ?? []).length;
    const empty = (line.match(/\./g) ?? []).length - 3; // three dots in the numbers
    expect(filled).toBe(empty);
  });

  test('failures are shown', () => {
    const line = renderProgress(
      { filesDone: 3, totalFiles: 4, bytesSent: 10, totalBytes: 20, failed: 1, elapsedSeconds: 1 },
      80,
    );
    expect(line).toContain('1 failed');
  });
});

describe('log level', () => {
  test('-v raises, --log-level wins, bad names are usage errors', () => {
    expect(resolveLogLevel({})).toBe('info');
    expect(resolveLogLevel({ verbose: [true] })).toBe('debug');
    expect(resolveLogLevel({ verbose: [true, true] })).toBe('trace');
    expect(resolveLogLevel({}, true)).toBe('warn');
    expect(resolveLogLevel({ 'log-level': 'error', verbose: [true] })).toBe('error');
    expect(() => resolveLogLevel({ 'log-level': 'loud' })).toThrow(/not one of/);
  });
});
