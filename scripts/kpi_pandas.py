#!/usr/bin/env python3
"""The KPI suite the way a data analyst would compute it from `isms export
--format csv` (the nonconformities and actions files), with pandas: the
anchor that `isms kpi` is measured against (docs/performance.md).

    python3 scripts/kpi_pandas.py PREFIX [AS_OF]

reads PREFIX-nonconformities.csv and PREFIX-actions.csv and prints the
suite as JSON. AS_OF (RFC 3339) defaults to now; the window is 365 days.
It computes, as of AS_OF, what the CSV columns allow: open nonconformities
by severity and state, ageing buckets, time to contain and to close
(median, mean, p90), overdue actions and their rate, on-time completion
against the original and the current due date, first-time-right, repeat
rate, overdue effectiveness checks (from the follow-up schedule and the
checks recorded), the root-cause Pareto, counts by requirement and the
monthly backlog trend. The export holds current states, not histories, and
no improvements, so the improvement KPIs are not computed and "as of" is
the export's present; `isms kpi` computes the same KPIs from recorded
histories as of any instant.
"""
import json
import re
import sys
import time

import pandas as pd

DAY = pd.Timedelta(days=1)


def stats(days: pd.Series) -> dict:
    if days.empty:
        return {"count": 0}
    return {
        "count": int(days.size),
        "mean": float(days.mean()),
        "median": float(days.median()),
        "p90": float(days.quantile(0.9)),
    }


def check_dates(follow_up: str) -> list:
    """Check dates of a follow-up schedule as the export writes it."""
    if not isinstance(follow_up, str):
        return []
    m = re.match(r"once on (\d{4}-\d{2}-\d{2})", follow_up)
    if m:
        return [pd.Timestamp(m.group(1))]
    m = re.match(r"every (\d+) (day|week|month)s? from (\d{4}-\d{2}-\d{2}), (\d+) times", follow_up)
    if m:
        n, unit, first, count = int(m.group(1)), m.group(2), pd.Timestamp(m.group(3)), int(m.group(4))
        step = {"day": pd.DateOffset(days=n), "week": pd.DateOffset(weeks=n), "month": pd.DateOffset(months=n)}[unit]
        return [first + step * i for i in range(count)]
    m = re.match(r"no recurrence for (\d+) (day|week|month)s? from (\d{4}-\d{2}-\d{2})", follow_up)
    if m:
        n, unit, start = int(m.group(1)), m.group(2), pd.Timestamp(m.group(3))
        step = {"day": pd.DateOffset(days=n), "week": pd.DateOffset(weeks=n), "month": pd.DateOffset(months=n)}[unit]
        return [start + step]
    return []


def suite(prefix: str, as_of: pd.Timestamp) -> dict:
    times = ["Reported", "Contained", "Analysed", "Closed", "Rejected", "Verification date"]
    ncs = pd.read_csv(f"{prefix}-nonconformities.csv", encoding="utf-8-sig", dtype=str)
    acts = pd.read_csv(f"{prefix}-actions.csv", encoding="utf-8-sig", dtype=str)
    for c in times:
        ncs[c] = pd.to_datetime(ncs[c], utc=True).dt.tz_localize(None)
    for c in ["Action planned", "Completed", "Cancelled"]:
        acts[c] = pd.to_datetime(acts[c], utc=True).dt.tz_localize(None)
    for c in ["Original due date", "Due date"]:
        acts[c] = pd.to_datetime(acts[c])
    start = as_of - 365 * DAY
    today = as_of.normalize()
    in_window = lambda s: (s >= start) & (s <= as_of)
    out = {}

    reported = ncs[ncs["Reported"] <= as_of]
    open_ = reported[~reported["NC status"].isin(["closed", "rejected"])]
    out["open_nonconformities"] = {
        "value": int(len(open_)),
        "by_severity": open_["Severity"].value_counts().to_dict(),
        "by_state": open_["NC status"].value_counts().to_dict(),
    }
    age = ((as_of - open_["Reported"]) / DAY).astype(int)
    buckets = pd.cut(age, [-1, 30, 90, 180, 10**9], labels=["0-30", "31-90", "91-180", ">180"])
    out["ageing"] = {
        "value": float((age > 90).mean()) if len(age) else None,
        "buckets": buckets.value_counts().sort_index().to_dict(),
    }
    c = ncs[in_window(ncs["Contained"])]
    out["time_to_contain"] = stats((c["Contained"] - c["Reported"]) / DAY)
    c = ncs[in_window(ncs["Closed"])]
    out["time_to_close"] = stats((c["Closed"] - c["Reported"]) / DAY)

    open_acts = acts[(acts["Action planned"] <= as_of) & acts["Status"].isin(["planned", "in progress", "in_progress"])]
    overdue = open_acts[open_acts["Due date"] < today]
    out["overdue_actions"] = int(len(overdue))
    out["overdue_action_rate"] = float(len(overdue) / len(open_acts)) if len(open_acts) else None
    done = acts[(acts["Status"] == "done") & in_window(acts["Completed"])]
    day_done = done["Completed"].dt.normalize()
    out["on_time_action_completion_rate"] = {
        "value": float((day_done <= done["Original due date"]).mean()) if len(done) else None,
        "against_current_due": float((day_done <= done["Due date"]).mean()) if len(done) else None,
        "rescheduled": int((done["Due date"] != done["Original due date"]).sum()),
    }
    attempts = pd.to_numeric(acts["Attempt"], errors="coerce").groupby(acts["Reference"]).max()
    concluded = ncs[in_window(ncs["Verification date"]) & ncs["Verification result"].notna()]
    first = concluded["Reference"].map(attempts).fillna(1)
    ftr = (concluded["Verification result"] == "effective") & (first <= 1)
    out["effectiveness_rate"] = float(ftr.mean()) if len(concluded) else None
    r = ncs[in_window(ncs["Reported"])]
    out["repeat_nonconformity_rate"] = float(r["Recurrence of"].notna().mean()) if len(r) else None

    under_way = ncs[ncs["NC status"].isin(["analysed", "actions_planned", "implemented"])]
    recorded = pd.to_numeric(under_way["Checks recorded"], errors="coerce").fillna(0).astype(int)
    overdue_checks = 0
    for follow_up, done_checks in zip(under_way["Follow-up"], recorded):
        overdue_checks += sum(1 for i, d in enumerate(check_dates(follow_up)) if i >= done_checks and d < today)
    out["overdue_verifications"] = overdue_checks

    a = ncs[in_window(ncs["Analysed"])]
    causes = a["Root cause category"].dropna().str.split(";").explode().str.strip()
    pareto = causes.value_counts()
    out["root_cause_pareto"] = {
        "value": int(pareto.sum()),
        "rows": [{"category": k, "count": int(v), "cumulative_share": float(s)}
                 for (k, v), s in zip(pareto.items(), pareto.cumsum() / max(pareto.sum(), 1))],
    }
    reqs = r["Requirements"].dropna().str.split(";").explode().str.strip()
    counts = reqs.value_counts()
    out["by_requirement"] = {"value": int(len(r)), "top": counts.head(20).to_dict()}

    months = pd.period_range(start.to_period("M"), as_of.to_period("M"), freq="M")
    rows = []
    for m in months:
        m_start, m_end = m.start_time, min(m.end_time, as_of)
        lo = max(m_start, start)
        rows.append({
            "month": str(m),
            "reported": int(((ncs["Reported"] >= lo) & (ncs["Reported"] <= m_end)).sum()),
            "closed": int(((ncs["Closed"] >= lo) & (ncs["Closed"] <= m_end)).sum()),
            "rejected": int(((ncs["Rejected"] >= lo) & (ncs["Rejected"] <= m_end)).sum()),
            "open": int(((ncs["Reported"] <= m_end)
                         & ~(ncs["Closed"] <= m_end) & ~(ncs["Rejected"] <= m_end)).sum()),
        })
    out["backlog_trend"] = {"value": rows[-1]["open"] if rows else 0, "months": rows}
    return out


def main() -> None:
    prefix = sys.argv[1]
    as_of = pd.Timestamp(sys.argv[2]).tz_localize(None) if len(sys.argv) > 2 else pd.Timestamp.now('UTC').tz_localize(None)
    t = time.perf_counter()
    result = suite(prefix, as_of)
    result["seconds"] = time.perf_counter() - t
    json.dump(result, sys.stdout, default=str)
    print()


if __name__ == "__main__":
    main()
