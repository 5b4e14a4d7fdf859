package gen

import "strings"

// Policy returns the policy.yaml that fits the generated data (SPEC 5): the
// systems the logs name with their tiers, the Okta app aliases, payroll as a
// manual system closed by tickets, a birthright Okta group per department
// and SLAs per kind. It does not depend on the Config.
func Policy() string {
	var b strings.Builder
	b.WriteString(`# Policy for data written by "jmlwatch gen".
timezone: UTC
allowed_lateness: 5m
dedupe_window: 720h
unresolved_ttl: 168h
case_retention: 400d
orphan_window: 365d
aliases:
`)
	for _, a := range apps {
		b.WriteString("  \"" + a.name + "\": " + a.system + "\n")
	}
	b.WriteString(`systems:
  okta: {tier: standard}
  entra: {tier: standard}
  slack: {tier: standard}
  salesforce: {tier: standard}
  github: {tier: standard}
  aws-prod: {tier: privileged}
  payroll: {tier: privileged, manual: true}
joiner: {systems: [okta, entra, payroll], lookback: 720h}
mover: {lookback: 168h}
leaver: {systems: [okta, entra, payroll], lookback: 168h, date_only_at: 24h}
birthright:
`)
	for _, d := range departments {
		b.WriteString("  - department: " + d.name + "\n    grants: [{system: okta, entitlement: " + d.group + "}]\n")
	}
	b.WriteString(`slas:
  - {kind: leaver, reason: involuntary, deadline: 1h}
  - {kind: leaver, tier: privileged, deadline: 4h, warn_after: 2h}
  - {kind: leaver, deadline: 24h, warn_after: 12h}
  - {kind: nhi, deadline: 168h, warn_after: 72h}
  - {kind: joiner, deadline: 24h, warn_after: 8h}
  - {kind: mover, deadline: 72h}
`)
	return b.String()
}
