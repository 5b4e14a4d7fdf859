package runtime

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
)

// child is a `jmlwatch run` child process (the test binary re-executed,
// see TestMain).
type child struct {
	t      *testing.T
	cmd    *exec.Cmd
	addr   chan string // the HTTP address, once printed
	exited chan struct{}
	code   int // valid after exited is closed
	stderr *lockedBuffer
	http   string
	// started is when the process was started.
	started time.Time
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startChild starts the daemon on cfgPath in a child process: bin run
// --config cfgPath, or, with bin "", the test binary re-executed as the
// daemon (see TestMain; its group session timeout is 2 s, so that the next
// child takes over the partitions of a killed one quickly, if the broker
// allows it: kfake.GroupMinSessionTimeout).
func startChild(t *testing.T, bin, cfgPath string) *child {
	t.Helper()
	cmd := exec.Command(bin, "run", "--config", cfgPath)
	if bin == "" {
		cmd = exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), childEnv+"="+cfgPath, childSessionEnv+"=2000")
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	c := &child{t: t, cmd: cmd, addr: make(chan string, 1), exited: make(chan struct{}), stderr: &lockedBuffer{}}
	if data, err := os.ReadFile(cfgPath); err == nil {
		if a, ok := strings.CutPrefix(strings.SplitN(string(data), "\n", 2)[0], "# http "); ok {
			c.addr <- a
		}
	}
	cmd.Stderr = c.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c.started = time.Now()
	go func() {
		_, _ = io.Copy(io.Discard, out)
		_ = cmd.Wait()
		c.code = cmd.ProcessState.ExitCode()
		close(c.exited)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-c.exited
	})
	return c
}

// httpAddr waits until the child serves HTTP and returns its address (""
// if it exits first).
func (c *child) httpAddr(ctx context.Context) string {
	for !c.serving() {
		select {
		case <-c.exited:
			return ""
		case <-ctx.Done():
			return ""
		case <-time.After(5 * time.Millisecond): // polling
		}
	}
	return c.http
}

// serving reports whether the child answers /healthz now.
func (c *child) serving() bool {
	if c.http == "" {
		select {
		case c.http = <-c.addr:
		default:
			return false
		}
	}
	resp, err := http.Get("http://" + c.http + "/healthz")
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// kill sends SIGKILL and waits for the process to be gone.
func (c *child) kill() {
	_ = c.cmd.Process.Signal(syscall.SIGKILL)
	<-c.exited
}

// metric returns the sum of the samples of the metric name on the child's
// /metrics (false if it could not be read).
func metric(addr, name string) (float64, bool) {
	body, ok := metricsText(addr)
	return sumMetric(body, name), ok
}

// metricsText returns the child's /metrics text.
func metricsText(addr string) (string, bool) {
	if addr == "" {
		return "", false
	}
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		return "", false
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return string(body), err == nil
}

// sumMetric sums the samples of name (any labels) in a text exposition.
func sumMetric(body, name string) float64 {
	var sum float64
	for _, line := range strings.Split(body, "\n") {
		if !strings.HasPrefix(line, name) {
			continue
		}
		rest := line[len(name):]
		if rest == "" || (rest[0] != ' ' && rest[0] != '{') {
			continue
		}
		f := strings.Fields(line)
		v, err := strconv.ParseFloat(f[len(f)-1], 64)
		if err == nil {
			sum += v
		}
	}
	return sum
}

// writeRunConfig writes a run config file for a child in dir, named
// after group, with a free loopback port as http_addr.
func writeRunConfig(t *testing.T, dir, brokerAddr, group, policyPath string, inputs []Input, outTopic string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	httpAddr := ln.Addr().String()
	ln.Close()
	var b strings.Builder
	fmt.Fprintf(&b, "# http %s\nbrokers: [%q]\ngroup_id: %s\nstate_dir: %s\npolicy: %s\nhttp_addr: %s\nclock: event\nmax_idle: 10s\ninputs:\n",
		httpAddr, brokerAddr, group, filepath.Join(dir, "state"), policyPath, httpAddr)
	for _, in := range inputs {
		fmt.Fprintf(&b, "  - {topic: %s, format: %s}\n", in.Topic, in.Format)
	}
	fmt.Fprintf(&b, "outputs: {events_topic: %s, alerts_topic: %s, dlq_topic: %s.dlq, mode: structured}\n", outTopic, outTopic, outTopic)
	p := filepath.Join(dir, group+".yaml")
	if err := os.WriteFile(p, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// lastOffsets returns the high watermark of each partition of topic.
func (h *harness) lastOffsets(topic string, partitions int) []int64 {
	h.t.Helper()
	out := make([]int64, partitions)
	for p := range partitions {
		d := h.dialer
		if d == nil {
			d = kafka.DefaultDialer
		}
		conn, err := d.DialLeader(h.ctx, "tcp", h.addr(), topic, p)
		if err != nil {
			h.t.Fatalf("dialing %s/%d: %v", topic, p, err)
		}
		out[p], err = conn.ReadLastOffset()
		conn.Close()
		if err != nil {
			h.t.Fatalf("last offset of %s/%d: %v", topic, p, err)
		}
	}
	return out
}

// readAll reads every record of every partition of topic, up to the high
// watermarks seen at the call.
func (h *harness) readAll(topic string, partitions int) []kafka.Message {
	h.t.Helper()
	var out []kafka.Message
	for p, last := range h.lastOffsets(topic, partitions) {
		if last == 0 {
			continue
		}
		r := kafka.NewReader(kafka.ReaderConfig{Brokers: []string{h.addr()}, Topic: topic, Partition: p, MaxBytes: 16 << 20, MaxWait: 50 * time.Millisecond, Dialer: h.dialer})
		for {
			m, err := r.ReadMessage(h.ctx)
			if err != nil {
				r.Close()
				h.t.Fatalf("reading %s/%d: %v", topic, p, err)
			}
			out = append(out, m)
			if m.Offset+1 >= last {
				break
			}
		}
		r.Close()
	}
	return out
}

// buildJmlwatch builds cmd/jmlwatch (without the race detector, whatever
// the test binary has: the crash tests need a daemon and a replay that run
// at production speed) into dir and returns its path.
func buildJmlwatch(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "jmlwatch")
	cmd := exec.Command("go", "build", "-o", bin, "github.com/jmlwatch/jmlwatch/cmd/jmlwatch")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	start := time.Now()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/jmlwatch: %v\n%s", err, out)
	}
	t.Logf("built jmlwatch in %s", time.Since(start).Round(time.Millisecond))
	return bin
}
