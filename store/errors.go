package store

import (
	"errors"
	"fmt"
)

// Sentinel errors. Test for them with errors.Is.
var (
	// ErrClosed is returned by every method of a closed DB.
	ErrClosed = errors.New("store: closed")
	// ErrBatchClosed is returned by a Batch that was committed or closed.
	ErrBatchClosed = errors.New("store: batch committed or closed")
	// ErrStop, returned by a Scan callback, ends the scan early; the scan
	// then returns nil.
	ErrStop = errors.New("store: stop")
	// ErrFatal is wrapped by every error of the storage itself: a failed
	// write (the DB then refuses all further writes) or a failed read.
	// Callers stop consuming and report not ready.
	ErrFatal = errors.New("store: fatal storage error")
	// ErrInvalidKey is returned for an empty key or a key starting with a
	// byte below 0x20, the space reserved for the store.
	ErrInvalidKey = errors.New("store: invalid key: empty or in the reserved space (first byte below 0x20)")
	// ErrOutboxBusy is returned by AppendOutbox while another batch holds
	// uncommitted outbox entries.
	ErrOutboxBusy = errors.New("store: outbox held by another uncommitted batch")
	// ErrSchema is returned by Open for a store written with a key layout
	// this version does not know.
	ErrSchema = errors.New("store: unsupported schema version")
)

// fatalError is a storage failure: it matches both ErrFatal and its cause.
type fatalError struct {
	op  string
	err error
}

func (e *fatalError) Error() string {
	return fmt.Sprintf("store: %s: fatal: %v", e.op, e.err)
}

// Unwrap returns ErrFatal and the cause, so errors.Is matches either.
func (e *fatalError) Unwrap() []error { return []error{ErrFatal, e.err} }

// fatal wraps err as a storage failure of op.
func fatal(op string, err error) error {
	if err == nil {
		return nil
	}
	var fe *fatalError
	if errors.As(err, &fe) {
		return err
	}
	return &fatalError{op: op, err: err}
}

// fatalPanic is what the Pebble logger adapter panics with when Pebble
// reports a fatal error, so that the call in progress can recover it and
// return an error instead of the process exiting.
type fatalPanic struct{ msg string }
