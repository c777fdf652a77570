/** One line of the latency plot: its points are (offered writes/s, latency ms). */
export interface Series {
  label: string;
  color: string;
  dashed?: boolean;
  points: Array<[number, number]>;
}

const WIDTH = 720;
const HEIGHT = 420;
const MARGIN = { left: 70, right: 220, top: 40, bottom: 55 };

const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** A round step for about five ticks up to `max`. */
function tickStep(max: number): number {
  const rough = max / 5;
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  return ([1, 2, 5, 10].map((factor) => factor * magnitude).find((step) => step >= rough) ?? rough) as number;
}

/** A self-contained SVG line chart (no plotting library): latency against offered load. */
export function latencyPlot(title: string, series: readonly Series[]): string {
  const all = series.flatMap((line) => line.points);
  const xStep = tickStep(Math.max(...all.map(([x]) => x), 1));
  const yStep = tickStep(Math.max(...all.map(([, y]) => y), 1));
  const xMax = Math.ceil(Math.max(...all.map(([x]) => x), 1) / xStep) * xStep;
  const yMax = Math.ceil(Math.max(...all.map(([, y]) => y), 1) / yStep) * yStep;
  const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
  const plotHeight = HEIGHT - MARGIN.top - MARGIN.bottom;
  const x = (value: number) => MARGIN.left + (value / xMax) * plotWidth;
  const y = (value: number) => MARGIN.top + plotHeight - (value / yMax) * plotHeight;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="12">`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="white"/>`,
    `<text x="${MARGIN.left}" y="22" font-size="14" font-weight="bold">${escape(title)}</text>`,
  ];
  for (let tick = 0; tick <= xMax; tick += xStep) {
    parts.push(`<line x1="${x(tick)}" y1="${MARGIN.top}" x2="${x(tick)}" y2="${MARGIN.top + plotHeight}" stroke="#eee"/>`);
    parts.push(`<text x="${x(tick)}" y="${MARGIN.top + plotHeight + 18}" text-anchor="middle">${tick}</text>`);
  }
  for (let tick = 0; tick <= yMax; tick += yStep) {
    parts.push(`<line x1="${MARGIN.left}" y1="${y(tick)}" x2="${MARGIN.left + plotWidth}" y2="${y(tick)}" stroke="#eee"/>`);
    parts.push(`<text x="${MARGIN.left - 8}" y="${y(tick) + 4}" text-anchor="end">${tick}</text>`);
  }
  parts.push(`<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${plotWidth}" height="${plotHeight}" fill="none" stroke="#999"/>`);
  parts.push(`<text x="${MARGIN.left + plotWidth / 2}" y="${HEIGHT - 12}" text-anchor="middle">offered load (registrations/s, open loop)</text>`);
  parts.push(`<text transform="translate(18 ${MARGIN.top + plotHeight / 2}) rotate(-90)" text-anchor="middle">commit → cache latency (ms)</text>`);
  series.forEach((line, index) => {
    const points = [...line.points].sort(([a], [b]) => a - b);
    const dash = line.dashed ? ' stroke-dasharray="6 4"' : '';
    parts.push(`<polyline fill="none" stroke="${line.color}" stroke-width="2"${dash} points="${points.map(([px, py]) => `${x(px).toFixed(1)},${y(py).toFixed(1)}`).join(' ')}"/>`);
    for (const [px, py] of points) parts.push(`<circle cx="${x(px).toFixed(1)}" cy="${y(py).toFixed(1)}" r="3" fill="${line.color}"/>`);
    const legendY = MARGIN.top + 10 + index * 20;
    parts.push(`<line x1="${WIDTH - MARGIN.right + 15}" y1="${legendY}" x2="${WIDTH - MARGIN.right + 40}" y2="${legendY}" stroke="${line.color}" stroke-width="2"${dash}/>`);
    parts.push(`<text x="${WIDTH - MARGIN.right + 46}" y="${legendY + 4}">${escape(line.label)}</text>`);
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
