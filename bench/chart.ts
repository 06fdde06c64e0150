import { percent, ratioText, storeTitle, targetText } from './format.js';
import type { Row } from './scenarios/types.js';

const WIDTH = 860;
const LABEL_W = 380;
const BAR_W = 330;
const ROW_H = 26;
const TOP = 48;
const MET = '#2e7d32';
const MISSED = '#c62828';

/** Coordinates with one decimal keep the file readable. */
function px(value: number): number {
  return Math.round(value * 10) / 10;
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** A horizontal bar per checked row: its ratio, the target as a tick, green when met and red when missed. */
export function renderChart(rows: Row[], title: string): string {
  const checked = rows.filter((r) => r.check);
  const largest = Math.max(
    ...checked.map((r) => Math.max(r.check!.target, Number.isFinite(r.check!.ratio) ? r.check!.ratio : 0)),
  );
  // The axis runs to the next half beyond the largest ratio or target: at least 150 %, at most 300 %.
  const scale = Math.min(3, Math.max(1.5, Math.ceil(largest * 2) / 2));
  const x = (ratio: number) => px(LABEL_W + (Math.min(Math.max(ratio, 0), scale) / scale) * BAR_W);
  const height = TOP + checked.length * ROW_H + 40;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="system-ui, sans-serif" font-size="12">`,
    `<rect width="${WIDTH}" height="${height}" fill="#ffffff"/>`,
    `<text x="12" y="22" font-size="15" font-weight="bold">${escapeXml(title)}</text>`,
    `<text x="12" y="38" fill="#555">ratio to the limit measured in the same run; the black tick is the target (green: met, red: missed)</text>`,
  ];
  for (const tick of [0, 0.5, 1, 1.5, 2, 2.5, 3].filter((t) => t <= scale)) {
    const tx = x(tick);
    parts.push(
      `<line x1="${tx}" y1="${TOP - 4}" x2="${tx}" y2="${TOP + checked.length * ROW_H}" stroke="#e0e0e0"/>`,
      `<text x="${tx}" y="${TOP + checked.length * ROW_H + 16}" text-anchor="middle" fill="#555">${percent(tick)}</text>`,
    );
  }
  checked.forEach((row, i) => {
    const c = row.check!;
    const y = TOP + i * ROW_H;
    const label = `${row.scenario} · ${storeTitle(row.store)} · ${row.label}`;
    const shown = label.length > 56 ? `${label.slice(0, 55)}…` : label;
    const colour = c.met ? MET : MISSED;
    const end = x(Number.isFinite(c.ratio) ? c.ratio : 0);
    parts.push(
      `<text x="${LABEL_W - 8}" y="${y + 16}" text-anchor="end">${escapeXml(shown)}</text>`,
      `<rect x="${LABEL_W}" y="${y + 5}" width="${px(Math.max(end - LABEL_W, 1))}" height="${ROW_H - 10}" fill="${colour}"/>`,
      `<line x1="${x(c.target)}" y1="${y + 2}" x2="${x(c.target)}" y2="${y + ROW_H - 2}" stroke="#000" stroke-width="2"/>`,
      `<text x="${LABEL_W + BAR_W + 10}" y="${y + 16}" fill="${colour}">${escapeXml(`${ratioText(c)} (${targetText(c)}) ${c.met ? 'met' : 'MISSED'}`)}</text>`,
    );
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
