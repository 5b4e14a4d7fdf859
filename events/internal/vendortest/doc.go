// Package vendortest holds the test machinery the vendor normalizers'
// tests (events/okta and events/entra) share: the invariants every decoded
// item must hold (Vendor.CheckItem), the hand-written expectation of one
// item and its check (Want, Vendor.Match), the golden rendering of a
// decode (Render, Vendor.Golden), the body of the decode fuzz target
// (Vendor.Fuzz) and the per-thread CPU timer the benchmarks report
// (StartCPUTimer).
//
// Only tests import it; it is internal to events.
package vendortest
