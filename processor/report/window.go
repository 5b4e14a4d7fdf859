package report

import (
	"fmt"
	"strings"
	"time"
)

// Window is a half-open interval of time [From, To).
type Window struct {
	From time.Time
	To   time.Time
}

// Contains reports whether t is in [From, To).
func (w Window) Contains(t time.Time) bool { return !t.Before(w.From) && t.Before(w.To) }

func (w Window) containsNS(ns int64) bool { return ns >= w.From.UnixNano() && ns < w.To.UnixNano() }

// DefaultPeriodLength is the length of the default period, which ends just
// after the latest event.
const DefaultPeriodLength = 30 * 24 * time.Hour

// ParseWindow parses "FROM/TO", each an RFC 3339 timestamp or a date
// (YYYY-MM-DD, midnight at the start of that day in loc). The window is
// half-open, so "2026-03-01/2026-04-01" is the whole of March. FROM must be
// before TO.
func ParseWindow(s string, loc *time.Location) (Window, error) {
	from, to, ok := strings.Cut(s, "/")
	if !ok {
		return Window{}, fmt.Errorf("%q: want FROM/TO, each an RFC 3339 timestamp or a date (YYYY-MM-DD)", s)
	}
	f, err := parseBound(from, loc)
	if err != nil {
		return Window{}, fmt.Errorf("%q: from: %w", s, err)
	}
	t, err := parseBound(to, loc)
	if err != nil {
		return Window{}, fmt.Errorf("%q: to: %w", s, err)
	}
	if !f.Before(t) {
		return Window{}, fmt.Errorf("%q: from must be before to", s)
	}
	return Window{From: f, To: t}, nil
}

func parseBound(s string, loc *time.Location) (time.Time, error) {
	s = strings.TrimSpace(s)
	if len(s) == len(time.DateOnly) {
		t, err := time.ParseInLocation(time.DateOnly, s, loc)
		if err != nil {
			return time.Time{}, fmt.Errorf("bad date %q: %w", s, err)
		}
		return t, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is neither an RFC 3339 timestamp nor a date (YYYY-MM-DD)", s)
	}
	return t, nil
}

// defaultPeriod returns the 30 days up to and including the latest event:
// [latest - 30 days, latest + 1ns). The end is the first instant after the
// latest event so that, the window being half-open, that event is inside.
func defaultPeriod(latest time.Time) Window {
	return Window{From: latest.Add(-DefaultPeriodLength), To: latest.Add(time.Nanosecond)}
}
