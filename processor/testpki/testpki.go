package testpki

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
	"testing"
	"time"
)

// File names New writes in its directory.
const (
	CAFile   = "ca.pem"     // the CA certificate
	CertFile = "client.pem" // the client certificate
	KeyFile  = "client.key" // the client's EC private key
)

// PKI is a CA with a server and a client certificate it signed, valid from
// an hour ago for a day.
type PKI struct {
	// Pool holds the CA certificate.
	Pool *x509.CertPool
	// Server is a certificate for 127.0.0.1 and localhost with server
	// authentication usage; Client one with client authentication usage.
	Server, Client tls.Certificate
	// Dir is the directory holding CAFile, CertFile and KeyFile.
	Dir string
}

// New creates a PKI and writes its CA, client certificate and client key
// in dir as CAFile, CertFile and KeyFile. Any failure fails tb.
func New(tb testing.TB, dir string) *PKI {
	tb.Helper()
	caKey := newKey(tb)
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "jmlwatch test CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		KeyUsage:              x509.KeyUsageCertSign,
		BasicConstraintsValid: true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		tb.Fatal(err)
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		tb.Fatal(err)
	}
	p := &PKI{Pool: x509.NewCertPool(), Dir: dir}
	p.Pool.AddCert(ca)
	p.Server = issue(tb, ca, caKey, 2, "broker", x509.ExtKeyUsageServerAuth)
	p.Client = issue(tb, ca, caKey, 3, "jmlwatch", x509.ExtKeyUsageClientAuth)
	keyDER, err := x509.MarshalECPrivateKey(p.Client.PrivateKey.(*ecdsa.PrivateKey))
	if err != nil {
		tb.Fatal(err)
	}
	writePEM(tb, filepath.Join(dir, CAFile), "CERTIFICATE", caDER)
	writePEM(tb, filepath.Join(dir, CertFile), "CERTIFICATE", p.Client.Certificate[0])
	writePEM(tb, filepath.Join(dir, KeyFile), "EC PRIVATE KEY", keyDER)
	return p
}

// Path returns the path of name (CAFile, CertFile or KeyFile) in p.Dir.
func (p *PKI) Path(name string) string { return filepath.Join(p.Dir, name) }

// ServerConfig is a broker's TLS config: it presents Server and requires
// a client certificate signed by the CA.
func (p *PKI) ServerConfig() *tls.Config {
	return &tls.Config{
		Certificates: []tls.Certificate{p.Server},
		ClientCAs:    p.Pool,
		ClientAuth:   tls.RequireAndVerifyClientCert,
		MinVersion:   tls.VersionTLS12,
	}
}

// ClientConfig is a client's TLS config: it trusts the CA and presents
// Client.
func (p *PKI) ClientConfig() *tls.Config {
	return &tls.Config{RootCAs: p.Pool, Certificates: []tls.Certificate{p.Client}, MinVersion: tls.VersionTLS12}
}

func newKey(tb testing.TB) *ecdsa.PrivateKey {
	tb.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	return key
}

func issue(tb testing.TB, ca *x509.Certificate, caKey *ecdsa.PrivateKey, serial int64, cn string, usage x509.ExtKeyUsage) tls.Certificate {
	tb.Helper()
	key := newKey(tb)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial),
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
		tb.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

func writePEM(tb testing.TB, path, typ string, der []byte) {
	tb.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		tb.Fatal(err)
	}
}
