import { ratioToDcmtk } from './report.js';
import type { ScenarioResult } from './run.js';

const escapeXml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * An SVG bar chart of netdicom -> netdicom throughput on the CT slices by concurrency (groups) and asynchronous
 * window (bars), with DCMTK's throughput as a dashed line. Returns undefined when the run has no such results.
 */
export function renderChart(results: readonly ScenarioResult[]): string | undefined {
  const grid = results.filter(
    (r) =>
      r.scenario.data === 'slices' &&
      r.scenario.sender === 'netdicom' &&
      r.scenario.receiver === 'netdicom' &&
      r.scenario.window !== undefined,
  );
  if (grid.length === 0) return undefined;
  const dcmtk = results.find(
    (r) => r.scenario.data === 'slices' && r.scenario.sender === 'dcmtk' && r.scenario.receiver === 'dcmtk',
  );
  const concurrencies = [...new Set(grid.map((r) => r.scenario.concurrency ?? 1))].sort((a, b) => a - b);
  const windows = [...new Set(grid.map((r) => r.scenario.window ?? 1))].sort((a, b) => a - b);
  const max = Math.max(...grid.map((r) => r.filesPerSecond), dcmtk?.filesPerSecond ?? 0) * 1.15;
  const width = 640;
  const height = 360;
  const left = 60;
  const bottom = 300;
  const top = 40;
  const plotWidth = width - left - 20;
  const groupWidth = plotWidth / concurrencies.length;
  const barWidth = (groupWidth * 0.7) / windows.length;
  const colors = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#76b7b2'];
  const y = (v: number) => bottom - ((bottom - top) * v) / max;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${width / 2}" y="20" text-anchor="middle" font-size="14">netdicom -> netdicom, ${grid[0]!.files} CT slices: objects/s by concurrency and window</text>`,
    `<line x1="${left}" y1="${bottom}" x2="${width - 20}" y2="${bottom}" stroke="black"/>`,
    `<line x1="${left}" y1="${top}" x2="${left}" y2="${bottom}" stroke="black"/>`,
  ];
  for (let i = 0; i <= 4; i++) {
    const v = (max / 4) * i;
    parts.push(`<text x="${left - 6}" y="${y(v) + 4}" text-anchor="end">${v.toFixed(0)}</text>`);
    parts.push(`<line x1="${left}" y1="${y(v)}" x2="${width - 20}" y2="${y(v)}" stroke="#ddd"/>`);
  }
  concurrencies.forEach((c, gi) => {
    const gx = left + gi * groupWidth + groupWidth * 0.15;
    windows.forEach((w, wi) => {
      const r = grid.find((g) => (g.scenario.concurrency ?? 1) === c && (g.scenario.window ?? 1) === w);
      if (!r) return;
      const x = gx + wi * barWidth;
      const ratio = ratioToDcmtk(results, r);
      parts.push(
        `<rect x="${x.toFixed(1)}" y="${y(r.filesPerSecond).toFixed(1)}" width="${(barWidth - 2).toFixed(1)}" height="${(bottom - y(r.filesPerSecond)).toFixed(1)}" fill="${colors[wi % colors.length]}"><title>${escapeXml(r.scenario.name)}: ${r.filesPerSecond.toFixed(0)} objects/s${ratio === undefined ? '' : ` (${ratio.toFixed(2)}x DCMTK)`}</title></rect>`,
      );
    });
    parts.push(
      `<text x="${(gx + (barWidth * windows.length) / 2).toFixed(1)}" y="${bottom + 16}" text-anchor="middle">concurrency ${c}</text>`,
    );
  });
  windows.forEach((w, wi) => {
    parts.push(
      `<rect x="${left + 10 + wi * 90}" y="${bottom + 30}" width="12" height="12" fill="${colors[wi % colors.length]}"/>`,
    );
    parts.push(`<text x="${left + 26 + wi * 90}" y="${bottom + 41}">window ${w}</text>`);
  });
  if (dcmtk) {
    parts.push(
      `<line x1="${left}" y1="${y(dcmtk.filesPerSecond).toFixed(1)}" x2="${width - 20}" y2="${y(dcmtk.filesPerSecond).toFixed(1)}" stroke="black" stroke-dasharray="6 4"/>`,
    );
    parts.push(
      `<text x="${width - 22}" y="${(y(dcmtk.filesPerSecond) - 5).toFixed(1)}" text-anchor="end">DCMTK storescu -> storescp: ${dcmtk.filesPerSecond.toFixed(0)}/s</text>`,
    );
  }
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
