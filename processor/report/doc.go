// Package report computes jmlwatch's programme metrics (SPEC section 9) from
// its output events, for a period and as change over a baseline, and writes
// them as a table, JSON, CSV or a self-contained HTML page with charts.
//
// # Input
//
// The inputs are jmlwatch output events (SPEC 7) as structured CloudEvents:
// replay output, or a dump of the events and alerts topics. Each file is
// JSON Lines (the fast path) or, when it starts with '[' or with an object
// spread over several lines, JSON documents each an event or an array of
// events. The fields are decoded by hand into a light struct named as in
// events/output.go, without allocating per event; a record that is not
// valid JSON, lacks type or time, or lacks a data field the report needs
// (or has an unknown kind, action or tier) is skipped and reported with its
// file and line. Other event types (sla.warning, account.unowned, input
// types) are read only for their time.
//
// Options.Kafka reads Kafka topics instead (or as well): each partition
// from its first offset to its end when reading starts, records in binary
// mode (ce_ headers) turned into structured events; `jmlwatch report
// --config` reads the run config's events and alerts topics this way.
//
// # Population
//
// The population of a window is the set of cases, with their steps, whose
// effective_at is in the window, minus cases with a case.cancelled anywhere
// in the inputs. The order of events and files does not matter: a case is
// built from whichever of its events comes first (case.opened, step.added,
// step.completed and sla.breached all carry the case's kind and
// effective_at and the step's system, action, tier and deadline).
//
// Events are de-duplicated by id. SPEC 7 makes an id a pure function of
// (type, case_id, step_id), so the report keeps one flag per (type, case,
// step) (opened, completed, cancelled; step completed, breached) instead of
// a set of every id: a repeat changes nothing, and memory stays bounded.
// Case and step ids are kept as 64-bit hashes (per-run random seed): with
// two million cases the chance that two collide is about 1e-7.
//
// # Definitions (where SPEC 9 is silent)
//
//   - Windows are half-open [from, to). A date bound is midnight at the
//     start of that date in the report's time zone, so 2026-03-01/2026-04-01
//     is all of March. Times in the output are in that zone.
//   - The default period is [latest - 30 days, latest + 1ns), where latest
//     is the greatest CloudEvent time in the inputs (any type): the 30 days
//     up to and including the latest event. 30 days is 720 hours.
//   - "Now" for a window is its end: a step is due when it completed before
//     the end (completed_at < to) or its deadline is before the end; a step
//     completed at or after the end was open at the end. Within SLA means
//     completed before the end and by the deadline (completed_at <=
//     deadline, SPEC 9's words; the event's within_sla says the same).
//   - Latencies (time_to_*) are those of the window's cohort: every
//     completed step of the population counts, even if it completed after
//     the window's end (the population is defined by effective_at; only the
//     SLA ratios and open_past_deadline look at the end). Likewise breaches
//     counts every sla.breached event of the population, and
//     integration_coverage_ratio every completed step.
//   - time_to_provision measures every non-nhi step of joiner cases,
//     time_to_modify every non-nhi step of mover cases, time_to_revoke the
//     revoke steps of leaver cases, each overall, by tier, by system and by
//     (tier, system); steps_within_sla_ratio counts the same steps; nhi
//     steps appear only in nhi_offboarded_within_sla_ratio, and in
//     breaches, open_past_deadline and cases_within_sla_ratio, which take
//     every step.
//   - Percentiles are nearest-rank: the value at rank ceil(p x n) (1-based)
//     of the n sorted values, in integer arithmetic, so p50 of [a, b] is a
//     and p99 of 100 values is the 99th; max is rank n.
//   - hr_to_it_lag needs the case's case.opened (recorded_at); a case seen
//     only through other events has no lag value.
//   - A case's tier is the highest tier of its steps; cases_within_sla_ratio
//     leaves out cases with no steps (none known, and case.completed's steps
//     is 0). A case is due when its case.completed is before the end, or one
//     of its steps is open past its deadline at the end; it is within when
//     it completed before the end and every step was completed by its
//     deadline (case.completed's within_sla only stands in for steps whose
//     completion is not in the inputs).
//   - orphaned_accounts counts distinct (system, account_id) of
//     orphan.detected events whose time is in the window, whatever their
//     case (it is not a population metric).
//   - integration_coverage_ratio is present without a policy, with a null
//     value (and so null baseline and change), so that the JSON always has
//     the same rows.
//   - delta = value - baseline; delta_pct = delta / |baseline| x 100 (null
//     when baseline is null or 0); direction is null when delta is,
//     unchanged when delta is 0, else improved or regressed: lower is better
//     for latencies, lags and counts, higher for ratios.
//   - Systems are reported by the names in the events (no "other" folding:
//     a report is a file, not a metrics label set).
//
// # Rows
//
// Metrics appear in a fixed order, each family overall first:
// time_to_{provision,modify,revoke}_seconds_{p50,p90,p99,max} overall, by
// tier, by system (the systems with a completed step of that kind in the
// period or baseline) and by tier and system (both tiers of those systems); steps_ and cases_within_sla_ratio overall, by
// kind, by tier and by kind and tier; breaches and open_past_deadline
// overall, by kind, by tier and by system (systems with a step in either
// population, and the policy's systems); hr_to_it_lag_seconds_{p50,p90}
// overall and by kind; nhi_offboarded_within_sla_ratio,
// orphaned_accounts (also by system) and integration_coverage_ratio.
// Every kind and tier always has its rows.
//
// # Memory and speed
//
// A case costs 32 bytes plus a map entry and a step 32 bytes, in
// fixed-size blocks that never copy on growth; with a given --period,
// events outside the period and baseline are not kept. JSON Lines are read
// in chunks, decoded and validated on several goroutines (collector.prepare
// touches no shared state) and folded in input order on the caller's
// (collector.apply). Percentiles sort one latency scope at a time in one
// reused buffer. See docs/PERFORMANCE.md for measurements.
package report
