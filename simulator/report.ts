/**
 * Human-readable outputs of a simulation: a text summary for the terminal and a self-contained HTML
 * report (inline SVG and CSS, no scripts, no fonts, no network) with, per region, the demand
 * against its thresholds, the forecast the simulated run acted on (one cold lead time ahead), and
 * when the region served or was WARM in the simulated run and in the oracle's.
 */
import { demandAlarmsFor } from '../functions/domain/alarm-policy';
import type { Interval, SimulationRun, Totals } from './simulate';
import { formatIsoUtc } from './trace';

const number = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 });

function percent(part: number, whole: number): string {
  return whole > 0 ? `${((100 * part) / whole).toFixed(1)} %` : '-';
}

function pad(cells: string[], widths: number[]): string {
  return cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
}

/** Rejections grouped by what refused them ("max elastic", "cooldown", ...). */
function rejectionCounts(run: SimulationRun): Map<string, number> {
  const counts = new Map<string, number>();
  for (const e of run.report.events) {
    if (e.action !== 'rejected') continue;
    const rule = e.reason.split(': ')[1] ?? e.reason;
    counts.set(rule, (counts.get(rule) ?? 0) + 1);
  }
  return counts;
}

function period(run: SimulationRun): string {
  const { trace } = run;
  const end = trace.startMs + trace.periods * trace.stepSeconds * 1000;
  const days = (trace.periods * trace.stepSeconds) / 86_400;
  return `${formatIsoUtc(trace.startMs)} .. ${formatIsoUtc(end)} (${number.format(days)} days, ${number.format(trace.periods)} periods of ${trace.stepSeconds} s, ${trace.regions.length} regions in the trace)`;
}

export function formatSummary(run: SimulationRun): string {
  const { report } = run;
  const lines = [
    `Simulated ${period(run)}`,
    `Cluster price: ${run.price.breakdown}`,
    `Warm price (per WARM region-hour): $${run.warmPrice.usdPerHour.toFixed(4)}: ${run.warmPrice.breakdown}`,
    `${describeFeatures(run)}`,
    '',
  ];
  const widths = [10, 14, 11, 12, 16, 8, 13];
  lines.push(pad(['', 'cluster-hours', 'warm-hours', 'cost USD', 'far user-min', 'far', 'scale events'], widths));
  const row = (name: string, t: Totals) =>
    pad(
      [
        name,
        number.format(t.clusterHours),
        number.format(t.warmHours ?? 0),
        number.format(t.costUsd),
        number.format(t.farUserMinutes),
        percent(t.farUserMinutes, t.userMinutes),
        String(t.scaleEvents),
      ],
      widths,
    );
  lines.push(
    row('simulated', report.totals),
    row('all on', report.baselines.allOn),
    row('oracle', report.baselines.oracle),
  );
  const saved = report.baselines.allOn.costUsd - report.totals.costUsd;
  lines.push(
    '',
    `Saves $${number.format(saved)} (${percent(saved, report.baselines.allOn.costUsd)}) against keeping every region on; ${number.format(report.totals.userMinutes)} user-minutes in all.`,
    '',
  );

  const regionWidths = [16, 10, 12, 12, 10, 10];
  lines.push(pad(['region', 'list', 'serving h', 'cluster h', 'warm h', 'cost USD'], regionWidths));
  for (const [region, r] of Object.entries(report.regions)) {
    lines.push(
      pad(
        [
          region,
          r.list,
          number.format(r.servingMinutes / 60),
          number.format(r.clusterHours),
          number.format(r.warmHours ?? 0),
          number.format(r.costUsd),
        ],
        regionWidths,
      ),
    );
  }
  if (run.unapprovedRegions.length) {
    lines.push(`Not approved (never served, all their users are far): ${run.unapprovedRegions.join(', ')}`);
  }

  const count = (action: string) => report.events.filter((e) => e.action === action).length;
  const warm = count('warm-up-start') + count('warm-teardown-start');
  const planned = count('pre-warm-planned');
  lines.push(
    '',
    `Events: ${count('scale-up-start')} scale-ups, ${count('scale-down-start')} scale-downs, ${count('rejected')} rejections` +
      (warm ? `, ${count('warm-up-start')} warm-ups, ${count('warm-teardown-start')} warm teardowns` : '') +
      (planned ? `, ${planned} pre-warms planned (forecast-only, not acted on)` : ''),
  );
  for (const [rule, n] of [...rejectionCounts(run)].sort((a, b) => b[1] - a[1]))
    lines.push(`  rejected (${rule}): ${n}`);
  lines.push('  (a rejection repeated for the same reason is listed once until the region next changes)');
  return lines.join('\n');
}

/** One line: the forecast mode, demand-ranked slots and the warm tier of the run. */
function describeFeatures(run: SimulationRun): string {
  const { forecast, scaling, warm } = run.config;
  const pre = { on: 'on', 'forecast-only': 'forecast-only (recorded, not acted on)', off: 'off' }[forecast.mode];
  const slots = scaling.preemptRatio > 0 ? `above ${scaling.preemptRatio} x the weakest` : 'off';
  const tier = warm.regions.length
    ? `${warm.regions.join(', ')} (keep ${warm.keepHours} h, cap $${warm.maxUsdPerHour}/h)`
    : 'no warm region';
  return `Predictive pre-warm: ${pre}; demand-ranked slots: ${slots}; warm tier: ${tier}`;
}

// ---- HTML ----

const CHART_WIDTH = 960;
const CHART_HEIGHT = 140;
const BAND = 10;

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Polyline path of the demand, one point per pixel column (the column's maximum), broken at gaps. */
function demandPath(values: Float64Array, yOf: (v: number) => number): string {
  const columns = Math.min(CHART_WIDTH, values.length);
  const perColumn = values.length / columns;
  let path = '';
  let drawing = false;
  for (let x = 0; x < columns; x++) {
    let max = NaN;
    const end = Math.min(values.length, Math.floor((x + 1) * perColumn));
    for (let i = Math.floor(x * perColumn); i < end; i++) {
      const v = values[i]!;
      if (v === v && !(v <= max)) max = v;
    }
    if (max !== max) {
      drawing = false;
      continue;
    }
    const px = ((x + 0.5) * CHART_WIDTH) / columns;
    path += `${drawing ? 'L' : 'M'}${px.toFixed(1)},${yOf(max).toFixed(1)}`;
    drawing = true;
  }
  return path;
}

function bandRects(intervals: Interval[], xOf: (ms: number) => number, y: number, css: string): string {
  return intervals
    .map(([from, to]) => {
      const x = xOf(from);
      const width = Math.max(0.5, xOf(to) - x);
      return `<rect class="${css}" x="${x.toFixed(1)}" y="${y}" width="${width.toFixed(1)}" height="${BAND}"/>`;
    })
    .join('');
}

function regionChart(run: SimulationRun, region: string): string {
  const { trace, config } = run;
  const values = trace.users.get(region) ?? new Float64Array(trace.periods).fill(NaN);
  const forecast = run.forecast.get(region);
  const result = run.report.regions[region];
  const elastic = result?.list === 'elastic';
  const alarms = elastic ? demandAlarmsFor(config, region) : undefined;
  let top = alarms ? alarms.scaleUp.threshold : 0;
  for (const v of values) if (v > top) top = v;
  if (forecast) for (const v of forecast) if (v > top) top = v;
  top = top > 0 ? top * 1.1 : 1;
  const plotHeight = CHART_HEIGHT - 2 * BAND - 8;
  const yOf = (v: number) => plotHeight - (v / top) * plotHeight;
  const startMs = trace.startMs;
  const spanMs = trace.periods * trace.stepSeconds * 1000;
  const xOf = (ms: number) => ((ms - startMs) / spanMs) * CHART_WIDTH;
  const thresholds = alarms
    ? `<line class="up" x1="0" x2="${CHART_WIDTH}" y1="${yOf(alarms.scaleUp.threshold).toFixed(1)}" y2="${yOf(alarms.scaleUp.threshold).toFixed(1)}"/>` +
      `<line class="down" x1="0" x2="${CHART_WIDTH}" y1="${yOf(alarms.scaleDown.threshold).toFixed(1)}" y2="${yOf(alarms.scaleDown.threshold).toFixed(1)}"/>`
    : '';
  const servingY = plotHeight + 4;
  const oracleY = servingY + BAND + 2;
  const label = result
    ? `${result.list}, served ${number.format(result.servingMinutes / 60)} h, cluster ${number.format(result.clusterHours)} h${result.warmHours ? `, warm ${number.format(result.warmHours)} h` : ''}, $${number.format(result.costUsd)}`
    : 'not approved: never served';
  const caption = alarms
    ? ` &middot; up above ${alarms.scaleUp.threshold} (${alarms.scaleUp.datapointsToAlarm} of ${alarms.scaleUp.evaluationPeriods}), down below ${alarms.scaleDown.threshold} (${alarms.scaleDown.datapointsToAlarm} of ${alarms.scaleDown.evaluationPeriods}) x ${alarms.periodSeconds} s`
    : '';
  return `<section><h2>${escapeHtml(region)} <small>${escapeHtml(label)}${caption}</small></h2>
<svg viewBox="0 0 ${CHART_WIDTH} ${CHART_HEIGHT}" width="100%" role="img" aria-label="demand of ${escapeHtml(region)}">
<rect class="plot" x="0" y="0" width="${CHART_WIDTH}" height="${plotHeight}"/>${thresholds}
<path class="demand" d="${demandPath(values, yOf)}"/>${forecast ? `\n<path class="forecast" d="${demandPath(forecast, yOf)}"/>` : ''}
${bandRects(run.serving.get(region) ?? [], xOf, servingY, 'serving')}${bandRects(run.warm.get(region) ?? [], xOf, servingY, 'warm')}
${bandRects(run.oracleServing.get(region) ?? [], xOf, oracleY, 'oracle')}${bandRects(run.oracleWarm.get(region) ?? [], xOf, oracleY, 'oracle-warm')}
<text x="2" y="10">${number.format(Math.round(top / 1.1))} users</text>
</svg></section>`;
}

/** A self-contained HTML report (opens offline; no scripts, fonts or external resources). */
export function renderHtmlReport(run: SimulationRun): string {
  const { report } = run;
  const totalsRow = (name: string, t: Totals) =>
    `<tr><th>${name}</th><td>${number.format(t.clusterHours)}</td><td>${number.format(t.warmHours ?? 0)}</td><td>$${number.format(t.costUsd)}</td><td>${number.format(t.farUserMinutes)}</td><td>${percent(t.farUserMinutes, t.userMinutes)}</td><td>${t.scaleEvents}</td></tr>`;
  const events = report.events
    .map(
      (e) =>
        `<tr class="${e.action}"><td>${e.at}</td><td>${escapeHtml(e.region)}</td><td>${e.action}</td><td>${escapeHtml(e.reason)}</td></tr>`,
    )
    .join('\n');
  const regions = [...new Set([...Object.keys(report.regions), ...run.trace.regions])];
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Autoscaler simulation</title>
<style>
body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px;color:#1d2733;max-width:1000px}
h1{font-size:20px}h2{font-size:15px;margin:18px 0 4px}small{font-weight:normal;color:#5b6775}
table{border-collapse:collapse;margin:8px 0}td,th{padding:3px 8px;border-bottom:1px solid #dde3ea;text-align:right}
th:first-child,td:first-child{text-align:left}.events td{text-align:left;font-size:12px}
.plot{fill:#f6f8fa}.demand{fill:none;stroke:#24507a;stroke-width:1}.up{stroke:#c0392b;stroke-dasharray:4 3}
.down{stroke:#2980b9;stroke-dasharray:4 3}.serving{fill:#27ae60}.oracle{fill:#b7c4d1}svg text{font-size:10px;fill:#5b6775}
.forecast{fill:none;stroke:#e67e22;stroke-width:1;stroke-dasharray:3 2}.warm{fill:#f1c40f}.oracle-warm{fill:#e8dcb0}
.legend span{display:inline-block;width:12px;height:8px;margin:0 4px 0 12px}tr.rejected{color:#8a5a00}
</style></head><body>
<h1>Autoscaler simulation</h1>
<p>${escapeHtml(period(run))}<br>Cluster price: ${escapeHtml(run.price.breakdown)}<br>Warm price (per WARM region-hour): $${run.warmPrice.usdPerHour.toFixed(4)}: ${escapeHtml(run.warmPrice.breakdown)}<br>${escapeHtml(describeFeatures(run))}</p>
<table><tr><th></th><th>cluster-hours</th><th>warm-hours</th><th>cost</th><th>far user-minutes</th><th>far</th><th>scale events</th></tr>
${totalsRow('simulated', report.totals)}${totalsRow('all regions on', report.baselines.allOn)}${totalsRow('oracle (perfect foresight)', report.baselines.oracle)}</table>
<p class="legend">Demand<span style="background:#24507a;height:2px"></span> scale-up threshold<span style="background:#c0392b;height:2px"></span> scale-down threshold<span style="background:#2980b9;height:2px"></span> forecast (one cold lead time ahead, from the past only)<span style="background:#e67e22;height:2px"></span> serving (simulated)<span style="background:#27ae60"></span> warm (simulated)<span style="background:#f1c40f"></span> serving (oracle)<span style="background:#b7c4d1"></span> warm (oracle)<span style="background:#e8dcb0"></span></p>
${regions.map((r) => regionChart(run, r)).join('\n')}
<h2>Events (${report.events.length})</h2>
<table class="events"><tr><th>at</th><th>region</th><th>action</th><th>reason</th></tr>
${events}
</table>
</body></html>
`;
}
