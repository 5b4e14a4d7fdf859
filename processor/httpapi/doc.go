// Package httpapi serves jmlwatch's read-only HTTP surface over correlator
// state (SPEC 8): the JSON API under /api/v1 and the on-call dashboard at
// /.
//
// Routes (GET and HEAD only; anything else is 405):
//
//	/api/v1/cases?kind=&state=&system=&limit=&cursor=
//	/api/v1/cases/{case_id}
//	/api/v1/workers/{worker_id}
//	/api/v1/accounts?owner=none[&limit=&cursor=]
//	/api/v1/dashboard          the figures the dashboard shows
//	/                          the dashboard (embedded HTML, JS, CSS and Chart.js)
//
// Every response under /api is JSON; an error is {"error":{"code":...,
// "message":...}} with status 400 (bad parameter), 401 (missing or wrong
// bearer token), 404 (unknown case, worker or route), 405 (method) or 500
// (state could not be read). /healthz, /readyz and /metrics are not served
// here: the runtime mounts them next to this handler, outside the token
// check.
//
// Reads never block processing: every request reads through
// Options.State, a correlator.Reader over committed state (a store.DB or a
// Pebble snapshot), never the apply loop's open batch.
//
// Decisions where the contract is silent:
//   - state=breached lists cases, not cancelled, with at least one step for
//     which an sla.breached was emitted (open or since completed).
//   - system= matches cases with at least one step in that system (aliases
//     resolved through the policy when one is given).
//   - limit defaults to 100 and is capped at 1000; cursor is opaque and
//     comes from the previous page's next_cursor, which is absent on the
//     last page. Cases are listed in worker_id order, then in each
//     worker's case order.
//   - owner= accepts only "none" (accounts that resolved to no worker).
//   - The dashboard's "now" is the correlator clock (event time), so an
//     accelerated demo or a replayed backfill shows what on-call would have
//     seen; with no clock yet, wall time. Compliance over the last 7 and
//     30 days counts steps (of cases not cancelled) whose deadline falls in
//     the window and has passed, or that completed in it; within = done by
//     the deadline. nhi steps are their own kind.
//   - When a token is configured the dashboard page itself loads without
//     it, and its data calls need it: open the page as /#token=SECRET (the
//     fragment never leaves the browser) or paste it when asked.
package httpapi
