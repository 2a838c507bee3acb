//! `docs/kpis.md`, generated from the KPI catalogue and the default
//! targets so that the documentation cannot drift from the code (a test
//! compares the file with this output).

use std::fmt::Write as _;

use crate::report::{Direction, KpiId, Unit};
use crate::targets::Targets;

const PREAMBLE: &str = "# KPIs of the improvement process\n\n\
Generated from `isms_kpi::KpiId` and `isms_kpi::Targets::default()` by \
`isms_kpi::render_kpis_markdown()`; a test fails when this file is stale \
(regenerate with `UPDATE_DOCS=1 cargo test -p isms-kpi docs_are_current`).\n\n\
## Conventions\n\n\
- **T** is the instant the KPIs are evaluated as of; **W** the window length in days \
(default 365). The window is `[T - W, T]`, both ends included: an event at exactly `T` \
or at exactly `T - W` counts. `T - W` is `T` minus `W` times 86 400 seconds.\n\
- **As of T** means: only what was recorded at or before `T` counts. A state at `T` comes \
from the transition history (the last transition at or before `T`); an action's due date \
at `T` is its original due date as moved by the reschedules recorded at or before `T`; a \
check has a result at `T` if the result was recorded at or before `T`. Events after `T` \
change nothing.\n\
- **Dates** are calendar dates of the organisation's time zone (`ReportOptions::time_zone`, \
the policy's IANA zone; UTC by default). \"Before T's date\" compares a due date with the \
date of `T` there, a completion counts on its date there, and months start at its midnight: \
an action or check due on `T`'s date is not overdue, one due the day before is.\n\
- **Durations** are in fractional days: seconds / 86 400.\n\
- **Percentiles** (median = 50th, and 90th) use linear interpolation between closest \
ranks (Hyndman and Fan type 7, the default of numpy and pandas): with the `n` values \
sorted ascending as `x[0] ... x[n-1]` and `h = (n - 1) p`, the percentile is \
`x[floor h] + (h - floor h) (x[floor h + 1] - x[floor h])`. Means are exact sums divided \
by `n`.\n\
- **Age** of an open nonconformity in whole days is `floor((T - reported_at) / 86 400 s)`; \
buckets are 0-30, 31-90, 91-180 and more than 180 days.\n\
- **No data**: a ratio or duration over an empty population is `no_data` (status `no_data`), \
never a division by zero or a NaN. A count over an empty population is 0.\n\
- **Status**: for a KPI where higher is better, green when `value >= green`, amber when \
`value >= amber`, otherwise red; where lower is better, green when `value <= green`, amber \
when `value <= amber`, otherwise red. A KPI without a target has status `no_target`. \
Targets are overridable (`Targets::set`, `Targets::remove`, `Targets::none`).\n\n";

fn unit(u: Unit) -> &'static str {
    match u {
        Unit::Count => "count",
        Unit::Ratio => "ratio (0 to 1)",
        Unit::Days => "days",
    }
}

/// Renders the KPI reference (the content of `docs/kpis.md`).
pub fn render_kpis_markdown() -> String {
    let targets = Targets::default();
    let mut out = String::from(PREAMBLE);
    out.push_str(
        "## Summary\n\n| id | name | unit | direction | default target (green / amber) |\n|---|---|---|---|---|\n",
    );
    for id in KpiId::ALL {
        let target = targets.get(*id).map_or_else(
            || "none".to_owned(),
            |t| {
                let op = if id.direction() == Direction::HigherIsBetter {
                    ">="
                } else {
                    "<="
                };
                format!("{op} {} / {op} {}", t.green, t.amber)
            },
        );
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {} | {} |",
            id.as_str(),
            id.name(),
            unit(id.unit()),
            id.direction(),
            target
        );
    }
    out.push_str("\n## Definitions\n");
    for id in KpiId::ALL {
        let _ = write!(
            out,
            "\n### `{}`: {}\n\nUnit: {}. Direction: {}.\n\n{}\n",
            id.as_str(),
            id.name(),
            unit(id.unit()),
            id.direction(),
            id.definition()
        );
    }
    out
}
