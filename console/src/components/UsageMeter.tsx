import {
  aggregationNote,
  formatPercent,
  formatQuantity,
  formatUsageOfLimit,
  usageLevel,
  usageLevelText,
} from '../lib/format';
import type { MetricUsage } from '../lib/types';

/** One metric's usage against its limit: a bar coloured by how close it is. */
export function UsageMeter({ metric }: { metric: MetricUsage }) {
  const level = usageLevel(metric.usage, metric.limit);
  const width = Math.min(100, Math.max(0, metric.percent));
  const labelId = `meter-${metric.metric}`;
  return (
    <article className={`card meter meter-${level}`} data-metric={metric.metric} data-level={level}>
      <div className="meter-head">
        <h3 id={labelId}>{metric.name}</h3>
        <span className={`level-pill level-pill-${level}`}>{usageLevelText(metric.usage, metric.limit)}</span>
      </div>
      <p className="meter-figure">
        <span className="meter-percent">{formatPercent(metric.percent)}</span>
        <span className="muted"> of plan</span>
      </p>
      <div
        className="meter-track"
        role="progressbar"
        aria-labelledby={labelId}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={Math.round(width)}
        aria-valuetext={`${formatPercent(metric.percent)} of the limit: ${formatQuantity(metric.usage, metric.unit)} of ${formatQuantity(metric.limit, metric.unit)}`}
      >
        <div className="meter-fill" style={{ width: `${width}%` }} />
      </div>
      <p className="meter-detail">{formatUsageOfLimit(metric.usage, metric.limit, metric.unit)}</p>
      {aggregationNote(metric.aggregation) && (
        <p className="muted meter-aggregation">{aggregationNote(metric.aggregation)}</p>
      )}
      {metric.overage_units > 0 && (
        <p className="meter-over">{formatQuantity(metric.overage_units, metric.unit)} over the limit</p>
      )}
    </article>
  );
}
