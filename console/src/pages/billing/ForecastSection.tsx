// The Usage page's forecast card: what the current period will come to, from
// GET /billing/usage/forecast: the projected invoice (before tax), and for
// one metric at a time its projected usage at the period's end with the 80 %
// range, when the limit is reached, and the chart (ForecastChart).
import { AlertTriangle, CheckCircle2, Info, TrendingUp } from 'lucide-react';
import { useId, useState } from 'react';
import { ForecastChart } from '../../components/ForecastChart';
import { ErrorState, LoadingState } from '../../components/states';
import { api } from '../../lib/billing';
import { formatDateTime } from '../../lib/format';
import { crossingText, forecastNotes, formatProjection, invoiceText } from '../../lib/forecast';
import type { MetricForecast, UsageForecast } from '../../lib/types';
import { useAsync } from '../../lib/useAsync';

export function ForecastSection({ customerId }: { customerId: string | undefined }) {
  const forecast = useAsync((signal) => api.usageForecast(customerId, { signal }), [customerId]);
  const [selected, setSelected] = useState('');
  const selectId = useId();
  const data = forecast.data;
  const metric = data?.metrics.find((m) => m.metric === selected) ?? data?.metrics[0];
  return (
    <section className="card" aria-labelledby="forecast-title" aria-busy={forecast.loading} data-testid="forecast">
      <div className="card-head card-head-row">
        <div>
          <h2 id="forecast-title">Forecast for this period</h2>
          <p className="muted">
            {data
              ? `As of ${formatDateTime(data.as_of)}. The shaded range holds the outcome ${Math.round(data.confidence * 10)} times in 10.`
              : 'From the usage so far and the weeks before.'}
          </p>
        </div>
        {data && data.metrics.length > 0 && (
          <div className="field field-inline">
            <label htmlFor={selectId}>Metric</label>
            <select
              id={selectId}
              value={metric?.metric ?? ''}
              onChange={(event) => setSelected(event.target.value)}
              data-testid="forecast-metric"
            >
              {data.metrics.map((m) => (
                <option key={m.metric} value={m.metric}>
                  {m.name}
                </option>
              ))}
            </select>
          </div>
        )}
      </div>
      {forecast.error ? (
        <ErrorState error={forecast.error} title="The forecast could not be loaded" onRetry={forecast.reload} />
      ) : !data ? (
        <LoadingState label="Loading the forecast…" />
      ) : (
        <ForecastBody forecast={data} metric={metric} />
      )}
    </section>
  );
}

function ForecastBody({ forecast, metric }: { forecast: UsageForecast; metric: MetricForecast | undefined }) {
  const notes = metric ? forecastNotes(forecast, metric) : [];
  const known = metric !== undefined && metric.basis_days > 0;
  return (
    <div className="forecast-body">
      <p className="forecast-invoice" data-testid="forecast-invoice">
        <span className="forecast-label">Projected invoice:</span> {invoiceText(forecast.invoice)}
      </p>
      {notes.map((note) => (
        <p key={note} className="callout callout-info" data-testid="forecast-note">
          <Info aria-hidden="true" size={18} />
          <span>{note}</span>
        </p>
      ))}
      {metric && known && (
        <ul className="forecast-facts">
          <li data-testid="forecast-summary">
            <span className="forecast-label">Projected at period end:</span>{' '}
            {formatProjection(metric.projected, metric.unit)}
          </li>
          <CrossingFact metric={metric} />
        </ul>
      )}
      {metric && known && metric.model === 'trend_weekly' && metric.days.length > 0 && (
        <ForecastChart forecast={forecast} metric={metric} />
      )}
    </div>
  );
}

function CrossingFact({ metric }: { metric: MetricForecast }) {
  const state = !(metric.limit > 0)
    ? 'no-limit'
    : metric.usage_so_far >= metric.limit
      ? 'reached'
      : metric.limit_crossed_at
        ? 'projected'
        : 'none';
  const Icon = { 'no-limit': Info, none: CheckCircle2, reached: AlertTriangle, projected: TrendingUp }[state];
  return (
    <li
      className={`forecast-crossing-text forecast-crossing-${state}`}
      data-testid="forecast-crossing"
      data-state={state}
    >
      <Icon aria-hidden="true" size={16} />
      <span>{crossingText(metric)}</span>
    </li>
  );
}
