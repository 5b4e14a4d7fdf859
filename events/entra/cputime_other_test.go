//go:build !linux

package entra

import "testing"

type cpuTimer struct{}

func startCPUTimer(*testing.B) *cpuTimer { return &cpuTimer{} }

func (*cpuTimer) stop() {}
