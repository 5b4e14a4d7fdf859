package store

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// The store test suite is a set of scripts under testdata/, each run
// against an on-disk and an in-memory DB. A script is a list of cases
// separated by blank lines:
//
//	# comment
//	command arg...
//	----
//	expected output, one or more lines
//
// Arguments are words, or Go-quoted strings ("a b", "\x00"). A batch is
// named by the test and "db" names the committed DB. Commands:
//
//	batch B                       new batch B
//	set B key value               Batch.Set
//	del B key                     Batch.Delete
//	get B|db key                  Get: the value, or "not found"
//	scan B|db [lower [upper]] [stop=N] [fail=N]
//	                              Scan: "key=value" lines, or "(empty)";
//	                              stop=N returns ErrStop at the Nth key, fail=N
//	                              an error; set-during=K:V sets in the batch
//	                              at the first key
//	commit B [sync]               Batch.Commit
//	close B                       Batch.Close
//	len B                         Batch.Len and Batch.Size > 0
//	reopen                        close and reopen the DB (same files)
//	offset B topic part next gen  Batch.SetOffset
//	offsets                       DB.Offsets, sorted
//	append B value                Batch.AppendOutbox: the sequence
//	delete-outbox B|db seq...     Batch.DeleteOutbox / DB.DeleteOutbox
//	outbox [after [limit]] [stop=N]
//	                              DB.ScanOutbox: "seq=value" lines
//	depth                         DB.OutboxDepth
//
// An error is printed as "error: " and its message.

type scriptEnv struct {
	t       *testing.T
	dir     string
	opts    Options
	db      *DB
	batches map[string]*Batch
}

func (e *scriptEnv) open() {
	e.t.Helper()
	db, err := Open(e.dir, e.opts)
	if err != nil {
		e.t.Fatalf("Open: %v", err)
	}
	e.db = db
}

func TestScripts(t *testing.T) {
	files, err := filepath.Glob("testdata/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no scripts: %v", err)
	}
	for _, env := range []string{"disk", "mem"} {
		for _, f := range files {
			t.Run(env+"/"+strings.TrimSuffix(filepath.Base(f), ".txt"), func(t *testing.T) {
				e := &scriptEnv{t: t, batches: map[string]*Batch{}}
				if env == "disk" {
					e.dir = t.TempDir()
				} else {
					// One MemFS across reopen, so "reopen" keeps the data
					// as it does on disk.
					e.dir = "mem"
					e.opts = Options{InMemory: true, fs: vfs.NewMem()}
				}
				e.open()
				defer func() { _ = e.db.Close() }()
				runScript(t, f, e.run)
			})
		}
	}
}

// runScript runs the cases of a script file through do.
func runScript(t *testing.T, path string, do func(args []string) string) {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	type testCase struct {
		line int
		cmd  string
		want []string
	}
	var cases []testCase
	var cur *testCase
	inOutput := false
	sc := bufio.NewScanner(strings.NewReader(string(data)))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		switch {
		case cur == nil && (line == "" || strings.HasPrefix(line, "#")):
		case cur == nil:
			cur = &testCase{line: n, cmd: line}
		case !inOutput && line == "----":
			inOutput = true
		case !inOutput:
			t.Fatalf("%s:%d: one command per case, then ----", path, n)
		case line == "":
			cases = append(cases, *cur)
			cur, inOutput = nil, false
		default:
			cur.want = append(cur.want, line)
		}
	}
	if cur != nil {
		cases = append(cases, *cur)
	}
	for _, c := range cases {
		args, err := splitArgs(c.cmd)
		if err != nil {
			t.Fatalf("%s:%d: %v", path, c.line, err)
		}
		got := do(args)
		if got != strings.Join(c.want, "\n") {
			t.Errorf("%s:%d: %s\ngot:\n%s\nwant:\n%s", path, c.line, c.cmd, got, strings.Join(c.want, "\n"))
		}
	}
}

func splitArgs(s string) ([]string, error) {
	var out []string
	for s = strings.TrimSpace(s); s != ""; s = strings.TrimSpace(s) {
		if s[0] == '"' {
			q, err := strconv.QuotedPrefix(s)
			if err != nil {
				return nil, err
			}
			u, _ := strconv.Unquote(q)
			out = append(out, u)
			s = s[len(q):]
			continue
		}
		i := strings.IndexByte(s, ' ')
		if i < 0 {
			i = len(s)
		}
		out = append(out, s[:i])
		s = s[i:]
	}
	return out, nil
}

func show(b []byte) string {
	s := string(b)
	if strconv.CanBackquote(s) && !strings.Contains(s, " ") && s != "" {
		return s
	}
	return strconv.Quote(s)
}

func errString(err error) string {
	if err == nil {
		return "ok"
	}
	return "error: " + err.Error()
}

// reader is what get and scan need of a Batch or the DB.
type reader interface {
	Get(key []byte) ([]byte, bool, error)
	Scan(lower, upper []byte, fn func(k, v []byte) error) error
}

func (e *scriptEnv) reader(name string) reader {
	if name == "db" {
		return e.db
	}
	return e.batch(name)
}

func (e *scriptEnv) batch(name string) *Batch {
	b, ok := e.batches[name]
	if !ok {
		e.t.Fatalf("no batch %s", name)
	}
	return b
}

func (e *scriptEnv) run(args []string) string {
	t := e.t
	switch cmd, a := args[0], args[1:]; cmd {
	case "batch":
		e.batches[a[0]] = e.db.NewBatch()
		return "ok"
	case "set":
		return errString(e.batch(a[0]).Set([]byte(a[1]), []byte(a[2])))
	case "del":
		return errString(e.batch(a[0]).Delete([]byte(a[1])))
	case "get":
		v, ok, err := e.reader(a[0]).Get([]byte(a[1]))
		switch {
		case err != nil:
			return errString(err)
		case !ok:
			return "not found"
		}
		return show(v)
	case "scan":
		var bounds [][]byte
		stop, fail := -1, -1
		var setDuring []string
		for _, x := range a[1:] {
			switch {
			case strings.HasPrefix(x, "stop="):
				stop, _ = strconv.Atoi(x[5:])
			case strings.HasPrefix(x, "fail="):
				fail, _ = strconv.Atoi(x[5:])
			case strings.HasPrefix(x, "set-during="):
				setDuring = strings.SplitN(x[11:], ":", 2)
			case x == "nil":
				bounds = append(bounds, nil)
			default:
				bounds = append(bounds, []byte(x))
			}
		}
		for len(bounds) < 2 {
			bounds = append(bounds, nil)
		}
		var lines []string
		n := 0
		err := e.reader(a[0]).Scan(bounds[0], bounds[1], func(k, v []byte) error {
			n++
			if setDuring != nil && n == 1 {
				if err := e.batch(a[0]).Set([]byte(setDuring[0]), []byte(setDuring[1])); err != nil {
					return err
				}
			}
			lines = append(lines, show(k)+"="+show(v))
			if n == stop {
				return ErrStop
			}
			if n == fail {
				return errors.New("callback failed")
			}
			return nil
		})
		if err != nil {
			lines = append(lines, errString(err))
		}
		if len(lines) == 0 {
			return "(empty)"
		}
		return strings.Join(lines, "\n")
	case "commit":
		return errString(e.batch(a[0]).Commit(len(a) > 1 && a[1] == "sync"))
	case "close":
		return errString(e.batch(a[0]).Close())
	case "len":
		b := e.batch(a[0])
		return fmt.Sprintf("len=%d size>0=%v", b.Len(), b.Size() > 0)
	case "reopen":
		if err := e.db.Close(); err != nil {
			return errString(err)
		}
		e.batches = map[string]*Batch{}
		e.open()
		return "ok"
	case "offset":
		part, _ := strconv.Atoi(a[2])
		next, _ := strconv.ParseInt(a[3], 10, 64)
		gen, _ := strconv.ParseInt(a[4], 10, 32)
		return errString(e.batch(a[0]).SetOffset(a[1], part, next, int32(gen)))
	case "offsets":
		m, err := e.db.Offsets()
		if err != nil {
			return errString(err)
		}
		var lines []string
		for tp, o := range m {
			lines = append(lines, fmt.Sprintf("%s/%d next=%d gen=%d", tp.Topic, tp.Partition, o.Next, o.Generation))
		}
		slices.Sort(lines)
		if len(lines) == 0 {
			return "(empty)"
		}
		return strings.Join(lines, "\n")
	case "append":
		seq, err := e.batch(a[0]).AppendOutbox([]byte(a[1]))
		if err != nil {
			return errString(err)
		}
		return strconv.FormatUint(seq, 10)
	case "delete-outbox":
		var seqs []uint64
		for _, x := range a[1:] {
			s, _ := strconv.ParseUint(x, 10, 64)
			seqs = append(seqs, s)
		}
		if a[0] == "db" {
			return errString(e.db.DeleteOutbox(seqs...))
		}
		for _, s := range seqs {
			if err := e.batch(a[0]).DeleteOutbox(s); err != nil {
				return errString(err)
			}
		}
		return "ok"
	case "outbox":
		var after uint64
		limit, stop := 0, -1
		pos := 0
		for _, x := range a {
			if strings.HasPrefix(x, "stop=") {
				stop, _ = strconv.Atoi(x[5:])
				continue
			}
			if pos == 0 {
				after, _ = strconv.ParseUint(x, 10, 64)
			} else {
				limit, _ = strconv.Atoi(x)
			}
			pos++
		}
		var lines []string
		n := 0
		err := e.db.ScanOutbox(after, limit, func(seq uint64, v []byte) error {
			lines = append(lines, fmt.Sprintf("%d=%s", seq, show(v)))
			n++
			if n == stop {
				return ErrStop
			}
			return nil
		})
		if err != nil {
			lines = append(lines, errString(err))
		}
		if len(lines) == 0 {
			return "(empty)"
		}
		return strings.Join(lines, "\n")
	case "depth":
		d, err := e.db.OutboxDepth()
		if err != nil {
			return errString(err)
		}
		return strconv.Itoa(d)
	}
	t.Fatalf("unknown command %q", args[0])
	return ""
}
