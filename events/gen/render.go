package gen

import (
	"strconv"
	"strings"
	"time"
)

const (
	domain     = "acme.example"
	hrSource   = "/hr/workday"
	nhiSource  = "/cmdb/nhi"
	tktSource  = "/itsm/servicenow"
	adminEmail = "it.admin@" + domain
	adminOkta  = "00u1xk2ab9QvD8mLw4x7"
	adminEntra = "5c1f0a27-8d4e-4b3a-9f61-2e7d9c0b1a34"
	tenantID   = "72f988bf-86f1-41af-91ab-2d7cd011db47"
)

// write renders r and hands it to the sink.
func (s *sim) write(r rec) error {
	b := s.buf[:0]
	var f File
	switch r.kind {
	case kSnapshot, kJoiner, kMover, kLeaver, kRescind:
		f, b = FileHR, s.hr(b, r)
	case kNHIRegistered, kNHIReassigned:
		f, b = FileNHI, s.nhiEvent(b, r)
	case kTicket:
		f, b = FileTickets, s.ticket(b, r)
	case kNHIRevoke:
		if s.workers[r.w].nhi == nhiEntraSP {
			f, b = FileEntra, s.entra(b, r)
		} else {
			f, b = FileOkta, s.okta(b, r)
		}
	case kEntraAdd, kEntraDisable, kEntraUpdateDisable, kEntraUpdateProfile, kEntraChangePassword, kEntraSecurityInfo:
		f, b = FileEntra, s.entra(b, r)
	default:
		f, b = FileOkta, s.okta(b, r)
	}
	s.buf = b
	s.stats.Records[f]++
	switch {
	case r.dup:
		s.stats.Duplicates++
	case r.kind.noise():
		s.stats.Noise++
	case r.t < s.start+msHour && r.seq == 0:
		// initial load
	default:
		s.stats.Lifecycle++
	}
	return s.sink(f, time.UnixMilli(r.t).UTC(), b)
}

// --- identities ---------------------------------------------------------

const b62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

func (s *sim) h(tag, n uint64) uint64 { return mix(s.seed ^ mix(tag<<48^n)) }

func appendB62(b []byte, prefix string, x uint64, n int) []byte {
	b = append(b, prefix...)
	for i := 0; i < n; i++ {
		if i == 10 {
			x = mix(x)
		}
		b = append(b, b62[x%62])
		x /= 62
	}
	return b
}

func appendHex(b []byte, x uint64, n int) []byte {
	const hx = "0123456789abcdef"
	for i := n - 1; i >= 0; i-- {
		b = append(b, hx[(x>>(4*uint(i)))&0xf])
	}
	return b
}

// appendGUID appends an RFC 4122-shaped (version 4) identifier derived from x.
func appendGUID(b []byte, x uint64) []byte {
	y := mix(x)
	b = appendHex(b, x>>32, 8)
	b = append(b, '-')
	b = appendHex(b, x>>16, 4)
	b = append(b, '-', '4')
	b = appendHex(b, x, 3)
	b = append(b, '-', "89ab"[y>>62])
	b = appendHex(b, y>>48, 3)
	b = append(b, '-')
	return appendHex(b, y, 12)
}

func workerID(w int32) string { return "W" + pad(int(w)+1, 7) }

func pad(n, width int) string {
	s := strconv.Itoa(n)
	if len(s) < width {
		s = strings.Repeat("0", width-len(s)) + s
	}
	return s
}

func first(w int32) string { return firstNames[int(w)%len(firstNames)] }
func last(w int32) string  { return lastNames[(int(w)/len(firstNames))%len(lastNames)] }

func displayName(w int32) string { return first(w) + " " + last(w) }

func email(w int32) string {
	e := strings.ToLower(first(w)) + "." + strings.ToLower(last(w))
	if n := int(w) / (len(firstNames) * len(lastNames)); n > 0 {
		e += strconv.Itoa(n + 1)
	}
	return e + "@" + domain
}

func (s *sim) oktaUserID(w int32) string {
	return string(appendB62(nil, "00u", s.h(1, uint64(w)), 17))
}
func (s *sim) entraUserID(w int32) string { return string(appendGUID(nil, s.h(2, uint64(w)))) }
func (s *sim) appUserID(w int32, a int32) string {
	return string(appendB62(nil, "0ua", s.h(3, uint64(w)<<3|uint64(a)), 17))
}

// nhiID is the NHI's id as its system's log names it.
func (s *sim) nhiID(w int32) string {
	x := s.h(4, uint64(w))
	switch s.workers[w].nhi {
	case nhiOktaToken:
		return string(appendB62(nil, "00T", x, 17))
	case nhiOktaClient:
		return string(appendB62(nil, "0oa", x, 17))
	}
	return string(appendGUID(nil, x))
}

func (s *sim) nhiSystem(w int32) string {
	if s.workers[w].nhi == nhiEntraSP {
		return "entra"
	}
	return "okta"
}

func (s *sim) nhiName(w int32) string {
	names := [...]string{"terraform-ci", "reporting-bot", "backup-agent", "deploy-pipeline", "data-sync"}
	return names[s.h(5, uint64(w))%uint64(len(names))] + "-" + strings.ToLower(first(w))
}

func (s *sim) shadowLogin(n int32) string {
	kinds := [...]string{"svc-build", "test.user", "contractor.tmp", "shared.kiosk", "vendor.access"}
	return kinds[s.h(6, uint64(n))%uint64(len(kinds))] + strconv.Itoa(int(n)) + "@" + domain
}

func (s *sim) title(w int32, dept uint8) string {
	ts := departments[dept].titles
	return ts[s.h(7, uint64(w)<<4|uint64(dept))%uint64(len(ts))]
}

func (s *sim) manager(w int32) string {
	return workerID(int32(s.h(8, uint64(w)) % uint64(s.cfg.Workers)))
}

// --- JSON helpers -------------------------------------------------------

func str(b []byte, v string) []byte {
	b = append(b, '"')
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < 0x20:
			b = append(b, `\u00`...)
			b = appendHex(b, uint64(c), 2)
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}

// kv appends ,"k":"v" (or without the comma when first).
func kv(b []byte, k, v string) []byte {
	if b[len(b)-1] != '{' {
		b = append(b, ',')
	}
	b = str(b, k)
	b = append(b, ':')
	return str(b, v)
}

func kraw(b []byte, k, raw string) []byte {
	if b[len(b)-1] != '{' {
		b = append(b, ',')
	}
	b = str(b, k)
	b = append(b, ':')
	return append(b, raw...)
}

func ms(t int64) string { return time.UnixMilli(t).UTC().Format("2006-01-02T15:04:05.000Z07:00") }

func date(t int64) string { return time.UnixMilli(t).UTC().Format(time.DateOnly) }
