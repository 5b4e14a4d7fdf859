// Package okta normalizes Okta System Log records (LogEvent objects) into
// jmlwatch canonical input events (SPEC section 2.1).
//
// Decode accepts one LogEvent, a JSON array of them (as GET /api/v1/logs
// returns), or an event-hook delivery ({"eventType":"com.okta.event_hook",
// ..., "data":{"events":[...]}}), and returns one events.Item per LogEvent
// (none for an empty array or envelope). A value that is not JSON at all is
// one bad_json item.
//
// Per LogEvent, in this order:
//
//  1. uuid (the event id; missing_field when absent or empty) and published
//     (the event time, RFC 3339; bad_timestamp when not, or when its UTC
//     year is outside 0000-9999, as for canonical events) are read first:
//     a record without them is not well-formed, so it is rejected even when
//     it would be skipped (SPEC 2).
//  2. eventType: an eventType with no JML meaning (sign-ins, MFA, policy
//     evaluations, ...) is skipped (events.SkipUnmapped) without reading the
//     rest of the record, so noise costs about a microsecond. A
//     missing eventType is missing_field, a non-string one bad_value.
//  3. outcome.result must be exactly "SUCCESS"; any other value is skipped
//     (events.SkipOutcome). A missing outcome.result is missing_field.
//  4. The targets the mapping needs are found in target[]: the user (type
//     "User": id is the account_id, alternateId the login), the app (type
//     "AppInstance") and the group (type "UserGroup"). A mapped record
//     without one of them is rejected no_target; a target without the field
//     used from it (User.id, UserGroup.displayName, AppInstance.alternateId
//     and displayName) is missing_field, named like "target[1].id".
//
// Mapping (eventType → canonical type, system):
//
//	user.lifecycle.create                      account.created   okta
//	user.lifecycle.activate|reactivate|unsuspend account.enabled okta
//	user.lifecycle.deactivate|suspend          account.disabled  okta
//	user.lifecycle.delete.completed            account.deleted   okta
//	user.session.clear                         sessions.revoked  okta
//	application.user_membership.add            account.created   the app
//	application.user_membership.remove,
//	application.provision.user.deprovision,
//	application.provision.user.delete          account.deleted   the app
//	application.provision.user.deactivate      account.disabled  the app
//	group.user_membership.add|remove           access.granted|revoked okta, entitlement = group displayName
//	user.account.privilege.grant|revoke        access.granted|revoked okta, entitlement "okta-admin", privileged
//	system.api_token.revoke,
//	app.oauth2.client.lifecycle.deactivate|delete nhi.revoked    okta
//
// The app's system key is its AppInstance alternateId (or displayName when
// alternateId is empty), looked up verbatim in the aliases map (the policy's
// aliases); when there is no alias it is lower-cased and every run of
// characters that are not letters or digits (Unicode letters and digits
// count) becomes one '-', with no trimming: "Salesforce.com" becomes
// "salesforce-com", "AWS (Prod)" becomes "aws-prod-".
//
// NHI id: Okta logs a revoked API token as a target of type "Token" and an
// OAuth 2.0 client as a target of type "AppInstance" (the client id is the
// app instance id). Decode takes the first target of that type (for API
// tokens also "ApiToken"/"APIToken", for clients also "OAuth2Client"/
// "OAuthClient"; compared ignoring case) and otherwise the first target that
// has an id; a record without any target with an id is no_target.
//
// Decisions where the contract is silent: account events carry no worker_id
// and no email (identity resolution matches the login); privilege revokes
// are marked privileged like grants; the event time is kept in UTC; a JSON
// value that is not an object (at the top level or as an array element) is
// bad_value; an event-hook envelope nested inside an array is bad_value;
// field paths in rejections are relative to the element (Item.Raw), whose
// position Item.Index gives.
package okta
