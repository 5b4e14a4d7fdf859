// Package memkv is an in-memory ordered KV for tests of the correlator,
// replay, httpapi and runtime packages. It is not for production:
// production state lives in Pebble (package store).
package memkv
