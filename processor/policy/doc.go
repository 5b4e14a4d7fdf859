// Package policy parses, defaults and validates the jmlwatch policy file
// (SPEC section 5) and answers the questions the correlator asks of it: a
// system's tier, whether it is manual, the birthright grants of a department
// and the SLA rule of a step.
//
// # Format
//
// The file is one YAML document decoded strictly: an unknown key is an error
// naming its line. Every key except slas may be omitted and then takes the
// default of SPEC section 5 (see the Default* constants); an explicit null
// (`timezone:` with no value) counts as omitted. A key given an empty list,
// such as `joiner: {systems: []}`, is not omitted: it means no systems.
//
// Durations are Go durations (90m, 1h30m, 0s, 0) plus a d suffix of 24
// hours (400d, 1d12h, 1.5d). Negative durations are rejected.
//
// # Validation
//
// Parse reports every problem at once as an *Error (one line per problem,
// ordered by line), each Problem with the
// path of the offending key (`slas[3].deadline`, `systems.aws-prod.tier`;
// list indexes are 0-based, map keys that hold dots or spaces are quoted)
// and its line. Beyond the rules of SPEC section 5 the package decides:
//
//   - A listed system without a tier is standard (`payroll: {manual: true}`,
//     `okta:` with no value).
//   - Systems named in joiner.systems, leaver.systems or birthright grants
//     need not be listed under systems: they are tracked with tier standard,
//     not manual, and labelled "other" in metrics, like any unlisted system.
//   - A system listed twice in joiner.systems or leaver.systems is an error
//     (it would create two steps on one target).
//   - Several birthright entries may name the same department: their grants
//     are merged in file order and de-duplicated.
//   - An SLA rule's system may be any non-empty string, listed or not. A
//     match field given an empty value is an error (leave the key out to
//     match anything). Rules are matched in file order; a rule after its
//     kind's catch-all can never match but is not an error, nor is a reason
//     on a joiner or mover rule (it matches no step).
//   - warn_after: 0s is a warning at effective_at, not "no warning".
//   - The timezone must be an IANA name loadable by time.LoadLocation; the
//     binary embeds time/tzdata so this does not depend on the host.
//     "Local" is rejected because it would make replay depend on the host.
//   - Aliases map a system name as events spell it to the name the policy
//     uses; keys and values must be non-empty. Resolution is one step (see
//     Policy.Canonical); the lookup methods (Tier, Manual, ...) take the
//     canonical name and do not apply aliases themselves.
package policy
