package input

import (
	"fmt"
	"strings"
)

// Format is the format of an input file or topic.
type Format string

// Input formats (SPEC section 1 and 2).
const (
	// FormatCloudEvents is canonical CloudEvents in the JSON event format
	// (one event, or a JSON array of events); the default.
	FormatCloudEvents Format = "cloudevents"
	// FormatOkta is Okta System Log LogEvent objects (SPEC 2.1).
	FormatOkta Format = "okta"
	// FormatEntra is Microsoft Entra ID directoryAudit records (SPEC 2.2).
	FormatEntra Format = "entra"
)

// formats lists the input formats, the default first.
var formats = [...]Format{FormatCloudEvents, FormatOkta, FormatEntra}

// ParseFormat returns the Format named s. The empty string is the default,
// FormatCloudEvents; names are case-sensitive, as on the command line.
func ParseFormat(s string) (Format, error) {
	if s == "" {
		return FormatCloudEvents, nil
	}
	for _, f := range formats {
		if s == string(f) {
			return f, nil
		}
	}
	return "", fmt.Errorf("unknown input format %q (want cloudevents, okta or entra)", s)
}

// Spec is one --input argument: a format and a path.
type Spec struct {
	Format Format
	Path   string
}

// ParseSpec parses an --input argument, [FORMAT:]PATH. The text before the
// first ':' is a format only when it is exactly one of the format names;
// anything else is all path, so paths may contain ':' (write
// cloudevents:okta:x.json for a file named okta:x.json). Without a format
// the file is cloudevents. It fails on an empty argument or an empty path.
func ParseSpec(s string) (Spec, error) {
	if s == "" {
		return Spec{}, fmt.Errorf("parsing input %q: empty input", s)
	}
	spec := Spec{Format: FormatCloudEvents, Path: s}
	if prefix, rest, ok := strings.Cut(s, ":"); ok {
		for _, f := range formats {
			if prefix == string(f) {
				spec = Spec{Format: f, Path: rest}
				break
			}
		}
	}
	if spec.Path == "" {
		return Spec{}, fmt.Errorf("parsing input %q: empty path", s)
	}
	return spec, nil
}

// String returns the spec as FORMAT:PATH, which ParseSpec reads back.
func (s Spec) String() string {
	return string(s.Format) + ":" + s.Path
}
