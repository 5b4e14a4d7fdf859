package runtime

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/sasl"
	"github.com/segmentio/kafka-go/sasl/plain"
	"github.com/segmentio/kafka-go/sasl/scram"
)

// tlsConfig builds the TLS config of c.TLS, or nil when TLS is disabled.
func tlsConfig(c *Config) (*tls.Config, error) {
	if !c.TLS.Enabled {
		return nil, nil
	}
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	if c.TLS.CAFile != "" {
		pem, err := os.ReadFile(c.TLS.CAFile)
		if err != nil {
			return nil, fmt.Errorf("tls.ca_file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("tls.ca_file %s: no PEM certificate found", c.TLS.CAFile)
		}
		tc.RootCAs = pool
	}
	if c.TLS.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(c.TLS.CertFile, c.TLS.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("tls.cert_file/key_file: %w", err)
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	return tc, nil
}

// saslMechanism builds the SASL mechanism of c.SASL, or nil for none.
func saslMechanism(c *Config) (sasl.Mechanism, error) {
	if c.SASL.Mechanism == "" {
		return nil, nil
	}
	pw := os.Getenv(c.SASL.PasswordEnv)
	switch c.SASL.Mechanism {
	case SASLPlain:
		return plain.Mechanism{Username: c.SASL.Username, Password: pw}, nil
	case SASLSCRAMSHA256:
		return scram.Mechanism(scram.SHA256, c.SASL.Username, pw)
	case SASLSCRAMSHA512:
		return scram.Mechanism(scram.SHA512, c.SASL.Username, pw)
	}
	return nil, fmt.Errorf("sasl.mechanism %q: unsupported", c.SASL.Mechanism)
}

// kafkaClients holds the dialer (consumers, group) and transport
// (producer) sharing one TLS and SASL setup.
type kafkaClients struct {
	dialer    *kafka.Dialer
	transport *kafka.Transport
}

// KafkaSecurity returns the TLS config (nil when tls.enabled is false)
// and the SASL mechanism (nil when sasl.mechanism is empty) that run's
// Kafka clients use for c, so that other commands reading the run's topics
// (`jmlwatch report --config`) connect the same way. The SASL password is
// the value of the environment variable sasl.password_env names. An error
// names the config field (tls.ca_file, tls.cert_file/key_file,
// sasl.mechanism) and what is wrong with it.
func KafkaSecurity(c *Config) (*tls.Config, sasl.Mechanism, error) {
	tc, err := tlsConfig(c)
	if err != nil {
		return nil, nil, err
	}
	mech, err := saslMechanism(c)
	if err != nil {
		return nil, nil, err
	}
	return tc, mech, nil
}

func newKafkaClients(c *Config) (*kafkaClients, error) {
	tc, mech, err := KafkaSecurity(c)
	if err != nil {
		return nil, err
	}
	return &kafkaClients{
		dialer: &kafka.Dialer{Timeout: 10 * time.Second, DualStack: true, TLS: tc, SASLMechanism: mech,
			ClientID: "jmlwatch"},
		transport: &kafka.Transport{TLS: tc, SASL: mech, ClientID: "jmlwatch", DialTimeout: 10 * time.Second},
	}, nil
}
