//go:build !linux

package vendortest

import "testing"

// CPUTimer reports nothing where the thread's CPU time is not read.
type CPUTimer struct{}

// StartCPUTimer returns a timer that reports nothing.
func StartCPUTimer(*testing.B) *CPUTimer { return &CPUTimer{} }

// Stop does nothing.
func (*CPUTimer) Stop() {}
