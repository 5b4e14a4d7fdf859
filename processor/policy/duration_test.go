package policy

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"
)

func TestParseDuration(t *testing.T) {
	for _, c := range []struct {
		in   string
		want time.Duration
		err  string // substring; "" for success
	}{
		{in: "0", want: 0},
		{in: "0s", want: 0},
		{in: "-0s", want: 0},
		{in: "+5m", want: 5 * time.Minute},
		{in: "90m", want: 90 * time.Minute},
		{in: "1h30m", want: 90 * time.Minute},
		{in: "1.5h", want: 90 * time.Minute},
		{in: "400d", want: 400 * 24 * time.Hour},
		{in: "1d12h", want: 36 * time.Hour},
		{in: "1.5d", want: 36 * time.Hour},
		{in: "12h1d", want: 36 * time.Hour},
		{in: "1d1d", want: 48 * time.Hour},
		{in: "250ms", want: 250 * time.Millisecond},
		{in: "106751d", want: 106751 * 24 * time.Hour},
		{in: "", err: "empty duration"},
		{in: "-", err: "invalid duration"},
		{in: "-1h", err: "must not be negative"},
		{in: "-1d", err: "must not be negative"},
		{in: "5", err: "invalid duration"},
		{in: "d", err: "invalid duration"},
		{in: "1.2.3d", err: "invalid duration"},
		{in: "30days", err: `unknown unit "days"`},
		{in: "1w", err: `unknown unit "w"`},
		{in: "1 h", err: `unknown unit " h"`},
		{in: "106752d", err: "out of range"},
		{in: "106751d1d", err: "out of range"},
		{in: "9999999999999h", err: "out of range"},
	} {
		got, err := ParseDuration(c.in)
		switch {
		case c.err == "" && err != nil:
			t.Errorf("ParseDuration(%q): %v", c.in, err)
		case c.err == "" && got != c.want:
			t.Errorf("ParseDuration(%q) = %v, want %v", c.in, got, c.want)
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("ParseDuration(%q) = %v, %v; want error containing %q", c.in, got, err, c.err)
		}
	}
	if _, err := ParseDuration("-2h"); !errors.Is(err, errNegativeDuration) {
		t.Errorf("negative duration error does not wrap errNegativeDuration: %v", err)
	}
}

func TestFormatDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0:                              "0s",
		90 * time.Minute:               "1h30m",
		12 * time.Hour:                 "12h",
		48 * time.Hour:                 "2d",
		30 * time.Second:               "30s",
		time.Hour + 30*time.Second:     "1h0m30s",
		36 * time.Hour:                 "36h",
		5*time.Minute + 0*time.Second:  "5m",
		400 * 24 * time.Hour:           "400d",
		1500 * time.Millisecond:        "1.5s",
		24*time.Hour + time.Nanosecond: "24h0m0.000000001s",
	} {
		if got := formatDuration(d); got != want {
			t.Errorf("formatDuration(%v) = %q, want %q", d, got, want)
		}
	}
}

// FuzzParseDuration checks that ParseDuration agrees with time.ParseDuration
// on inputs without the d unit, and that a d term is 24h.
func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"0", "1h", "1d12h", "1.5d", "-1h", "90m", "3.25h", "1h1d", "5"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseDuration(s)
		if err == nil && got < 0 {
			t.Fatalf("ParseDuration(%q) = %v: negative", s, got)
		}
		if strings.Contains(s, "d") {
			// A single term "<number>d" is that many 24h.
			num, ok := strings.CutSuffix(s, "d")
			if ok && num != "" && strings.Trim(num, "0123456789.") == "" {
				h, herr := time.ParseDuration(num + "h")
				if herr == nil && h <= math.MaxInt64/24 && (err != nil || got != h*24) {
					t.Fatalf("ParseDuration(%q) = %v, %v; want %v", s, got, err, h*24)
				}
			}
			return
		}
		want, werr := time.ParseDuration(s)
		if werr != nil || want < 0 {
			if err == nil && !(want == 0 && werr == nil) {
				t.Fatalf("ParseDuration(%q) = %v, nil; time.ParseDuration: %v, %v", s, got, want, werr)
			}
			return
		}
		if err != nil || got != want {
			t.Fatalf("ParseDuration(%q) = %v, %v; want %v", s, got, err, want)
		}
	})
}
