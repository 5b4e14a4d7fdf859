// Package gen generates realistic synthetic jmlwatch input: a workforce
// with departments, its HR history as canonical CloudEvents, the Okta
// System Log and Entra audit records (vendor-native) that provisioning and
// revocation leave behind, ticket resolutions for a manual system, NHI
// registrations, the noise those logs are mostly made of, and a policy that
// fits it all.
//
// Generation is deterministic: the same Config gives the same bytes. It is
// streaming: records wait in a time-ordered queue only between the day they
// are decided and the day they happen (at most the HR notice period plus the
// revocation tail), so memory grows with the daily event volume and the
// per-worker state (a few bytes a worker), never with the total number of
// records. Each output is written in event-time order.
//
// # The model
//
// Day 0 is an initial load: an hr.snapshot per worker, and each worker's
// Okta user, app assignments, birthright group, Entra user and owned NHIs,
// spread over the first hour. Then, per day: leavers (Config.Turnover a
// year, 20% involuntary, 60% with a date-only effective_at), joiners at the
// same rate (headcount stays about level), movers (Config.MoveRate a year)
// and unowned shadow accounts. HR records mostly arrive before the
// effective time; about 15% arrive late. 2% of leavers and 3% of joiners are
// rescinded. Revocation delays are heavy-tailed (log-normal, median 2h for
// voluntary and 20m for involuntary leavers), 15% happen before the
// effective time, and 3% never happen. About 1% of leavers get their Okta
// account reactivated weeks later (an orphan). About 1% of lifecycle records
// are delivered twice (same id). Noise (sign-ins, sessions, MFA, sign-on
// policy evaluations, profile updates, password changes, failed operations)
// is about Config.NoisePerRecord records per lifecycle record.
//
// Records after Start + Days are not written: the logs end there, so the
// longest revocation delays show up as revocations that never happened.
package gen
