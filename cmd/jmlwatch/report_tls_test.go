package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/jmlwatch/jmlwatch/processor/broker"
	"github.com/jmlwatch/jmlwatch/processor/testpki"
)

// TestReportConfigTLS reads, over mutual TLS with the config's CA and
// client certificate (paths relative to the config's directory), one topic
// that is both the events and the alerts topic, and checks the report
// equals the one over the file; without the client certificate the broker
// refuses (exit 1); a CA file holding no certificate is a bad config
// naming tls.ca_file (exit 2).
func TestReportConfigTLS(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	dir := t.TempDir()
	pki := testpki.New(t, dir)

	b, err := broker.Start(ctx, broker.Options{Partitions: 2, Topics: []string{"out"}, Extra: []kfake.Opt{kfake.TLS(pki.ServerConfig())}})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	data, err := os.ReadFile(reportFixture)
	if err != nil {
		t.Fatal(err)
	}
	var msgs []kafka.Message
	for _, line := range bytes.Split(bytes.TrimSpace(data), []byte("\n")) {
		msgs = append(msgs, kafka.Message{Topic: "out", Value: line})
	}
	w := &kafka.Writer{Addr: kafka.TCP(b.Addr()), Balancer: &kafka.RoundRobin{}, RequiredAcks: kafka.RequireAll,
		Transport: &kafka.Transport{TLS: pki.ClientConfig()}}
	defer w.Close()
	if err := w.WriteMessages(ctx, msgs...); err != nil {
		t.Fatal(err)
	}

	config := func(name, tlsYAML string) string {
		path := filepath.Join(dir, name)
		doc := "brokers: [" + b.Addr() + "]\ninputs: [{topic: hr}]\noutputs: {events_topic: out, alerts_topic: out}\ntls: " + tlsYAML + "\n"
		if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	period := []string{"--period", "2026-03-02/2026-03-09", "--baseline", "2026-02-23/2026-03-02", "--format", "json"}
	code, want, stderr := runReport(t, append([]string{"--input", reportFixture}, period...)...)
	if code != 0 {
		t.Fatalf("report --input: exit %d: %s", code, stderr)
	}
	good := config("tls.yaml", "{enabled: true, ca_file: ca.pem, cert_file: client.pem, key_file: client.key}")
	code, got, stderr := runReport(t, append([]string{"--config", good}, period...)...)
	if code != 0 || stderr != "" {
		t.Fatalf("report --config over TLS: exit %d: %s", code, stderr)
	}
	if got != want {
		t.Errorf("report over Kafka with TLS differs from the one over the file:\n%s", got)
	}

	nocert := config("nocert.yaml", "{enabled: true, ca_file: ca.pem}")
	if code, _, stderr := runReport(t, append([]string{"--config", nocert}, period...)...); code != 1 {
		t.Errorf("no client certificate: exit %d, want 1: %s", code, stderr)
	}

	if err := os.WriteFile(filepath.Join(dir, "bad-ca.pem"), []byte("not a certificate\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	badCA := config("badca.yaml", "{enabled: true, ca_file: bad-ca.pem}")
	if code, _, stderr := runReport(t, append([]string{"--config", badCA}, period...)...); code != 2 || !strings.Contains(stderr, "tls.ca_file") {
		t.Errorf("bad CA file: exit %d, stderr %q; want 2 naming tls.ca_file", code, stderr)
	}
}
