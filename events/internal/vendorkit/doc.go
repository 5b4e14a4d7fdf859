// Package vendorkit is the machinery the vendor normalizers (events/okta and
// events/entra) share, so that each normalizer's files only hold its
// vendor's mapping: field names, type tables and mapping rules.
//
// It provides Outcome, what a normalizer decided for one vendor record
// (an event, a skip or a rejection), carried by value so that deciding
// allocates nothing, and its builders Lone and Item, which allocate the
// events.Item and its event or skip together; the timestamps every vendor
// record has: Outcome.Time (a required one, rejected when bad) and TimeOf
// (an optional one, zero when bad: Entra's diagnostic records that are
// not audit logs, skipped before their id and time are judged); and the shape walking every
// vendor payload needs: BadJSON, Members (locate an object's members,
// optionally validating it in the same pass), Elements (one item per
// element of an array, non-objects rejected) and Objects (visit each object
// element of an array, non-objects skipped: how target arrays are read),
// and SetUnescaped (a member switch's slow path for a key written with
// escapes).
//
// The package is internal to events: its API may change with its two
// callers. It imports only events and events/jsonscan.
package vendorkit
