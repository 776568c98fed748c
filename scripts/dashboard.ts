/**
 * Generates the churnflow Grafana dashboard, `deploy/grafana/dashboards/churnflow.json`, from the rows of
 * `scripts/dashboard-panels.ts` with the Grafana Foundation SDK (typed builders for the dashboard schema, so a
 * field Grafana does not know fails the typecheck instead of the import).
 *
 *   npm run dashboard    # builds, then writes the JSON
 *
 * `test/ops/dashboard.test.ts` fails when the committed JSON differs from what this writes.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type * as cog from '@grafana/grafana-foundation-sdk/cog';
import {
  LegendDisplayMode,
  LegendPlacement,
  ReduceDataOptionsBuilder,
  VizLegendOptionsBuilder,
} from '@grafana/grafana-foundation-sdk/common';
import {
  DashboardBuilder,
  DatasourceVariableBuilder,
  QueryVariableBuilder,
  RowBuilder,
  VariableRefresh,
  VariableSort,
  type Dashboard,
  type Panel,
} from '@grafana/grafana-foundation-sdk/dashboard';
import { PanelBuilder as BarGaugePanel } from '@grafana/grafana-foundation-sdk/bargauge';
import { DataqueryBuilder } from '@grafana/grafana-foundation-sdk/prometheus';
import { PanelBuilder as StatPanel } from '@grafana/grafana-foundation-sdk/stat';
import { PanelBuilder as TimeseriesPanel } from '@grafana/grafana-foundation-sdk/timeseries';
import { format, resolveConfig } from 'prettier';
import { ROWS, type PanelSpec } from './dashboard-panels.js';

/** Where the dashboard is provisioned from (deploy/grafana/provisioning/dashboards/churnflow.yml). */
export const DASHBOARD_PATH = 'deploy/grafana/dashboards/churnflow.json';

/** Every query goes to the data source the `datasource` variable picks. */
const DATASOURCE = { type: 'prometheus', uid: '${datasource}' };
const PANEL_HEIGHT = 8;
/** Stat and bar-gauge panels show the newest value, not a reduction over the whole time range. */
const LAST_VALUE = new ReduceDataOptionsBuilder().calcs(['lastNotNull']);

function panelBuilder(spec: PanelSpec): cog.Builder<Panel> {
  const targets = spec.queries.map((q, i) =>
    new DataqueryBuilder()
      .expr(q.expr)
      .legendFormat(q.legend)
      .refId(String.fromCharCode(65 + i))
      .datasource(DATASOURCE),
  );
  const width = spec.width ?? 8;
  // The three builders share no base class with these setters, hence the repetition.
  switch (spec.kind ?? 'timeseries') {
    case 'stat':
      return new StatPanel()
        .reduceOptions(LAST_VALUE)
        .title(spec.title)
        .description(spec.description)
        .unit(spec.unit)
        .datasource(DATASOURCE)
        .targets(targets)
        .height(PANEL_HEIGHT)
        .span(width);
    case 'bargauge':
      return new BarGaugePanel()
        .reduceOptions(LAST_VALUE)
        .title(spec.title)
        .description(spec.description)
        .unit(spec.unit)
        .datasource(DATASOURCE)
        .targets(targets)
        .height(PANEL_HEIGHT)
        .span(width);
    default:
      return new TimeseriesPanel()
        .legend(
          new VizLegendOptionsBuilder()
            .showLegend(true)
            .displayMode(LegendDisplayMode.List)
            .placement(LegendPlacement.Bottom),
        )
        .title(spec.title)
        .description(spec.description)
        .unit(spec.unit)
        .datasource(DATASOURCE)
        .targets(targets)
        .height(PANEL_HEIGHT)
        .span(width);
  }
}

/** A label filter variable: every value of `label` on `metric`, multi-select, "All" = `.*`. */
function labelVariable(name: string, label: string, metric: string): QueryVariableBuilder {
  return new QueryVariableBuilder(name)
    .label(label)
    .datasource(DATASOURCE)
    .query({
      query: `label_values(${metric}, ${name})`,
      refId: 'PrometheusVariableQueryEditor-VariableQuery',
    })
    .definition(`label_values(${metric}, ${name})`)
    .refresh(VariableRefresh.OnTimeRangeChanged)
    .sort(VariableSort.AlphabeticalAsc)
    .multi(true)
    .includeAll(true)
    .allValue('.*')
    .current({ text: 'All', value: '$__all' });
}

/** The dashboard as Grafana imports it. */
export function buildDashboard(): Dashboard {
  const builder = new DashboardBuilder('churnflow')
    .uid('churnflow')
    .description('Is churnflow keeping up, healthy, is its model sane, and what do the customers look like?')
    .tags(['churnflow', 'nats'])
    .refresh('30s')
    .time({ from: 'now-1h', to: 'now' })
    .timezone('browser')
    .withVariable(new DatasourceVariableBuilder('datasource').label('Data source').type('prometheus'))
    .withVariable(labelVariable('instance', 'Instance', 'churnflow_build_info'))
    .withVariable(labelVariable('partition', 'Partition', 'churnflow_consumer_pending_messages'));
  for (const row of ROWS) {
    builder.withRow(new RowBuilder(row.title));
    for (const panel of row.panels) builder.withPanel(panelBuilder(panel));
  }
  return builder.build();
}

/** The JSON written to {@link DASHBOARD_PATH}, formatted as the project's prettier (`npm run lint`) wants it. */
export async function dashboardJson(): Promise<string> {
  const options = await resolveConfig(DASHBOARD_PATH);
  return format(JSON.stringify(buildDashboard()), { ...options, filepath: DASHBOARD_PATH });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(DASHBOARD_PATH, await dashboardJson());
  console.log(`wrote ${DASHBOARD_PATH}`);
}
