// Package entra normalizes Microsoft Entra ID audit records (Microsoft Graph
// directoryAudit objects) into jmlwatch canonical input events (SPEC
// section 2.2).
//
// Decode accepts, and returns one events.Item per directoryAudit of:
//
//   - one directoryAudit object (GET /auditLogs/directoryAudits/{id});
//   - a Graph page, {"@odata.context": ..., "value": [directoryAudit, ...]}
//     (GET /auditLogs/directoryAudits, any @odata.nextLink ignored);
//   - a diagnostic-settings envelope as streamed to Event Hubs, {"records":
//     [{"time": ..., "category": "AuditLogs", "operationName": ...,
//     "properties": {directoryAudit}}, ...]};
//   - one such diagnostic record on its own (as archived one per line), or
//     a JSON array of directoryAudits or records.
//
// An empty array or envelope yields no items. A value that is not JSON at
// all is one bad_json item. A JSON value that is not an object where one is
// expected is bad_value.
//
// A diagnostic record whose category is not "AuditLogs" (sign-in logs
// streamed to the same hub) is skipped (events.SkipUnmapped) before
// anything else, its id unchecked, with its operationName (else its
// category) as the type and its time (zero when bad). An empty category
// counts as none. Per directoryAudit, in this order:
//
//  1. id (the event id; missing_field when absent or empty) and
//     activityDateTime (the event time, RFC 3339; bad_timestamp when not,
//     or when its UTC year is outside 0000-9999, as for canonical events)
//     are read first: a record without them is not well-formed, so it is
//     rejected even when it would be skipped (SPEC 2).
//  2. activityDisplayName: an activity with no JML meaning is skipped
//     (events.SkipUnmapped) without reading the rest.
//  3. result must be exactly "success" (SPEC 2.2: Graph writes "success";
//     "Success" is skipped too); any other result is skipped
//     (events.SkipOutcome). A missing result is missing_field.
//  4. The targets are found in targetResources[] by type: "User" (id is the
//     account_id, userPrincipalName the login), "Group", "Role",
//     "ServicePrincipal". A mapped record without the target it needs is
//     no_target.
//
// Mapping (activityDisplayName → canonical type; the system is always
// "entra"):
//
//	Add user                                   account.created
//	Enable account                             account.enabled
//	Disable account                            account.disabled
//	Update user (AccountEnabled changed)       account.disabled (new value false) | account.enabled (true)
//	Delete user, Hard Delete user              account.deleted
//	Add member to group | Remove member from group   access.granted | access.revoked, entitlement = the group's name
//	Add member to role | Remove member from role     access.granted | access.revoked, entitlement = the role's name, privileged
//	Update StsRefreshTokenValidFrom Timestamp  sessions.revoked
//	Remove service principal,
//	Remove service principal credentials       nhi.revoked, nhi_id = the ServicePrincipal target's id
//
// Update user: the User target's modifiedProperties entry whose displayName
// is "AccountEnabled" holds the change. Its oldValue and newValue are
// JSON-encoded strings, in practice "[true]" / "[false]"; "true", "True",
// "[\"true\"]" and JSON booleans are read the same way. A record with no such
// entry, with no new value ("[]" or null), or whose new value equals its old
// value, is skipped (events.SkipNoEnabled); a new value that is not a
// boolean is bad_value.
//
// Group and role names: Entra logs the group or role as its own target
// (type "Group" / "Role") but usually leaves that target's displayName null
// and records the name on the User target, as the modifiedProperties
// "Group.DisplayName" / "Role.DisplayName" (a JSON-encoded string: the new
// value on an add, the old value on a remove). The entitlement is the Group
// (or Role) target's displayName when it has one, else that modified
// property; a record with neither is no_target.
//
// Decisions where the contract is silent: when Entra soft-deletes a user it
// prefixes the userPrincipalName with the object id without dashes
// ("e2b9...12e4jane@contoso.com"); the prefix is removed from the login so
// that the account still matches its owner. Account events carry no
// worker_id and no email. The event time is kept in UTC. Field paths in
// rejections are relative to the element (Item.Raw): "targetResources[0].id"
// for a directoryAudit, "properties.targetResources[0].id" for a diagnostic
// record, "properties" for a record without one.
package entra
