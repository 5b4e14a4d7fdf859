// Package testpki builds a throwaway certificate authority for tests that
// run Kafka over mutual TLS: a CA, a server certificate for 127.0.0.1 and
// localhost, and a client certificate, with the CA and the client
// certificate and key written as PEM files for a config to name. It is
// meant for tests only; nothing outside _test.go files imports it.
package testpki
