package runtime

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/jmlwatch/jmlwatch/events/gen"
	"github.com/jmlwatch/jmlwatch/processor/broker"
	"github.com/jmlwatch/jmlwatch/processor/policy"
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
			cfg := h.config(t.TempDir(), Input{Topic: "in", Format: FormatCloudEvents})
			cfg.SASL = SASL{Mechanism: mech, Username: "jml", PasswordEnv: "JML_TEST_KAFKA_PASSWORD"}
			kc, err := newKafkaClients(cfg)
			if err != nil {
				t.Fatal(err)
			}
			h.dialer, h.transport = kc.dialer, kc.transport
			checkSecured(t, h, cfg)

			t.Setenv("JML_TEST_KAFKA_PASSWORD", "wrong")
			bad := h.config(t.TempDir(), Input{Topic: "in", Format: FormatCloudEvents})
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
	dir := t.TempDir()
	ca, caKey := newCA(t)
	serverCert := issue(t, ca, caKey, "broker", x509.ExtKeyUsageServerAuth)
	clientCert := issue(t, ca, caKey, "jmlwatch", x509.ExtKeyUsageClientAuth)
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	writePEM(t, filepath.Join(dir, "ca.pem"), "CERTIFICATE", ca.Raw)
	writePEM(t, filepath.Join(dir, "client.pem"), "CERTIFICATE", clientCert.Certificate[0])
	keyDER, err := x509.MarshalECPrivateKey(clientCert.PrivateKey.(*ecdsa.PrivateKey))
	if err != nil {
		t.Fatal(err)
	}
	writePEM(t, filepath.Join(dir, "client.key"), "EC PRIVATE KEY", keyDER)

	h := newHarnessWith(t, broker.Options{Partitions: 1, Extra: []kfake.Opt{kfake.TLS(&tls.Config{
		Certificates: []tls.Certificate{serverCert},
		ClientCAs:    pool,
		ClientAuth:   tls.RequireAndVerifyClientCert,
		MinVersion:   tls.VersionTLS12,
	})}}, 2*time.Minute)
	cfg := h.config(t.TempDir(), Input{Topic: "in", Format: FormatCloudEvents})
	cfg.TLS = TLS{Enabled: true, CAFile: filepath.Join(dir, "ca.pem"), CertFile: filepath.Join(dir, "client.pem"), KeyFile: filepath.Join(dir, "client.key")}
	kc, err := newKafkaClients(cfg)
	if err != nil {
		t.Fatal(err)
	}
	h.dialer, h.transport = kc.dialer, kc.transport
	checkSecured(t, h, cfg)

	// Without the client certificate the broker refuses the daemon.
	bad := h.config(t.TempDir(), Input{Topic: "in", Format: FormatCloudEvents})
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

func genPolicy(t *testing.T) *policy.Policy {
	t.Helper()
	pol, err := policy.Parse([]byte(gen.Policy()), "gen-policy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return pol
}

func newCA(t *testing.T) (*x509.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "jmlwatch test CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		KeyUsage:              x509.KeyUsageCertSign,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return ca, key
}

func issue(t *testing.T, ca *x509.Certificate, caKey *ecdsa.PrivateKey, cn string, usage x509.ExtKeyUsage) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{usage},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:     []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

func writePEM(t *testing.T, path, typ string, der []byte) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}
