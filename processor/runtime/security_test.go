package runtime

import (
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/jmlwatch/jmlwatch/events/input"
	"github.com/jmlwatch/jmlwatch/processor/broker"
	"github.com/jmlwatch/jmlwatch/processor/testpki"
)

// TestSASL: the daemon authenticates with SASL PLAIN, SCRAM-SHA-256 and
// SCRAM-SHA-512 to a broker that requires it, consumes and produces; with
// a wrong password it is not ready and says Kafka is unavailable.
func TestSASL(t *testing.T) {
	for _, mech := range []string{SASLPlain, SASLSCRAMSHA256, SASLSCRAMSHA512} {
		t.Run(mech, func(t *testing.T) {
			h := newHarnessWith(t, broker.Options{Partitions: 1, Extra: []kfake.Opt{
				kfake.EnableSASL(), kfake.Superuser(mech, "jml", "s3cret"),
			}}, 2*time.Minute)
			t.Setenv("JML_TEST_KAFKA_PASSWORD", "s3cret")
			cfg := h.config(t.TempDir(), Input{Topic: "in", Format: input.FormatCloudEvents})
			cfg.SASL = SASL{Mechanism: mech, Username: "jml", PasswordEnv: "JML_TEST_KAFKA_PASSWORD"}
			kc, err := newKafkaClients(cfg)
			if err != nil {
				t.Fatal(err)
			}
			h.dialer, h.transport = kc.dialer, kc.transport
			checkSecured(t, h, cfg)

			t.Setenv("JML_TEST_KAFKA_PASSWORD", "wrong")
			bad := h.config(t.TempDir(), Input{Topic: "in", Format: input.FormatCloudEvents})
			bad.GroupID = "other"
			bad.SASL = cfg.SASL
			rt, stop := h.start(bad, genPolicy(t), false)
			defer stop()
			poll(t, h.ctx, "a reason for not being ready", func() bool {
				rd := rt.Readiness()
				return !rd.Ready && strings.Contains(rd.Reason, "kafka unavailable")
			})
			t.Logf("wrong password: %+v", rt.Readiness())
		})
	}
}

// TestTLS: the daemon connects over TLS, verifying the broker's
// certificate with the configured CA and presenting a client certificate
// the broker requires.
func TestTLS(t *testing.T) {
	pki := testpki.New(t, t.TempDir())
	h := newHarnessWith(t, broker.Options{Partitions: 1, Extra: []kfake.Opt{kfake.TLS(pki.ServerConfig())}}, 2*time.Minute)
	cfg := h.config(t.TempDir(), Input{Topic: "in", Format: input.FormatCloudEvents})
	cfg.TLS = TLS{Enabled: true, CAFile: pki.Path(testpki.CAFile), CertFile: pki.Path(testpki.CertFile), KeyFile: pki.Path(testpki.KeyFile)}
	kc, err := newKafkaClients(cfg)
	if err != nil {
		t.Fatal(err)
	}
	h.dialer, h.transport = kc.dialer, kc.transport
	checkSecured(t, h, cfg)

	// Without the client certificate the broker refuses the daemon.
	bad := h.config(t.TempDir(), Input{Topic: "in", Format: input.FormatCloudEvents})
	bad.GroupID = "nocert"
	bad.TLS = TLS{Enabled: true, CAFile: cfg.TLS.CAFile}
	rt, stop := h.start(bad, genPolicy(t), false)
	defer stop()
	poll(t, h.ctx, "not ready without a client certificate", func() bool {
		rd := rt.Readiness()
		return !rd.Ready && strings.Contains(rd.Reason, "kafka unavailable")
	})
}

// checkSecured runs the daemon with cfg on a small stream and checks that
// it consumes everything and publishes replay's outputs.
func checkSecured(t *testing.T, h *harness, cfg *Config) {
	t.Helper()
	msgs, pol, want := smallStream(t, 40, 90)
	h.produce("in", msgs...)
	cfg.Outputs.EventsTopic, cfg.Outputs.AlertsTopic = "out", "out"
	rt, stop := h.start(cfg, pol, false)
	defer stop()
	poll(t, h.ctx, "every record applied", func() bool { return checkpoint(t, rt, "in") == int64(len(msgs)) })
	poll(t, h.ctx, "outputs published", func() bool { return h.lastOffsets("out", 1)[0] >= int64(len(want)) })
	got := checkCopies(t, h.readAll("out", 1))
	if len(got) != len(want) {
		t.Errorf("%d outputs, want %d", len(got), len(want))
	}
	if !rt.Readiness().Ready {
		t.Errorf("not ready: %+v", rt.Readiness())
	}
}
