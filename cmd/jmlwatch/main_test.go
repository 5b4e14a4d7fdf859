package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// testRoot is a root command with subcommands that fail in each way a
// jmlwatch subcommand can.
func testRoot() *cobra.Command {
	root := &cobra.Command{Use: "jmlwatch", SilenceErrors: true, SilenceUsage: true}
	var n int
	fail := &cobra.Command{
		Use:  "fail KIND",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			switch args[0] {
			case "runtime":
				return errors.New("disk on fire")
			case "wrapped-runtime":
				return fmt.Errorf("opening state: %w", errors.New("disk on fire"))
			case "usage":
				return usageErrorf("policy.yaml: slas[0].deadline: must be a duration")
			case "wrapped-usage":
				return fmt.Errorf("loading: %w", usageErrorf("bad policy"))
			case "silent":
				return exitStatus(1, nil)
			case "three":
				return exitStatus(3, errors.New("custom"))
			}
			fmt.Fprintln(cmd.OutOrStdout(), "ok", n)
			return nil
		},
	}
	fail.Flags().IntVar(&n, "n", 0, "a number")
	pre := &cobra.Command{
		Use:     "pre",
		PreRunE: func(*cobra.Command, []string) error { return errors.New("pre-run failed") },
		RunE:    func(*cobra.Command, []string) error { return nil },
	}
	required := &cobra.Command{Use: "required", RunE: func(*cobra.Command, []string) error { return nil }}
	required.Flags().String("config", "", "")
	_ = required.MarkFlagRequired("config")
	root.AddCommand(fail, pre, required)
	return root
}

func TestExitStatus(t *testing.T) {
	for _, tc := range []struct {
		args   []string
		code   int
		stdout string // substring
		stderr string // substring; "" means stderr must be empty
	}{
		{[]string{"fail", "ok", "--n", "7"}, 0, "ok 7", ""},
		{[]string{"fail", "runtime"}, 1, "", "jmlwatch: disk on fire\n"},
		{[]string{"fail", "wrapped-runtime"}, 1, "", "jmlwatch: opening state: disk on fire\n"},
		{[]string{"fail", "usage"}, 2, "", "jmlwatch: policy.yaml: slas[0].deadline: must be a duration\nRun 'jmlwatch fail --help' for usage."},
		{[]string{"fail", "wrapped-usage"}, 2, "", "jmlwatch: bad policy\n"},
		{[]string{"fail", "silent"}, 1, "", ""},
		{[]string{"fail", "three"}, 3, "", "jmlwatch: custom\n"},
		{[]string{"pre"}, 1, "", "pre-run failed"},
		// Errors cobra reports itself are usage errors.
		{[]string{"nosuch"}, 2, "", `unknown command "nosuch"`},
		{[]string{"--nosuch"}, 2, "", "unknown flag: --nosuch"},
		{[]string{"fail"}, 2, "", "accepts 1 arg(s), received 0"},
		{[]string{"fail", "ok", "--n", "seven"}, 2, "", `invalid argument "seven"`},
		{[]string{"required"}, 2, "", `required flag(s) "config" not set`},
		{[]string{"fail", "--help"}, 0, "Usage:", ""},
		{[]string{"--help"}, 0, "Available Commands:", ""},
	} {
		var out, errb bytes.Buffer
		code := execute(context.Background(), testRoot(), tc.args, &out, &errb)
		if code != tc.code {
			t.Errorf("%q: exit %d, want %d (stderr %q)", tc.args, code, tc.code, errb.String())
		}
		if !strings.Contains(out.String(), tc.stdout) {
			t.Errorf("%q: stdout %q, want it to contain %q", tc.args, out.String(), tc.stdout)
		}
		if tc.stderr == "" && errb.Len() != 0 || !strings.Contains(errb.String(), tc.stderr) {
			t.Errorf("%q: stderr %q, want %q", tc.args, errb.String(), tc.stderr)
		}
	}
}

// TestEveryCommandHasHelp: --help works on the root and on every
// registered subcommand, and exits 0.
func TestEveryCommandHasHelp(t *testing.T) {
	var walk func(prefix []string, c *cobra.Command)
	walk = func(prefix []string, c *cobra.Command) {
		args := append(append([]string(nil), prefix...), "--help")
		code, stdout, stderr := jmlwatch(t, args...)
		if code != 0 || !strings.Contains(stdout, "Usage:") {
			t.Errorf("%q: exit %d, stdout %q, stderr %q", args, code, stdout, stderr)
		}
		for _, sub := range c.Commands() {
			if sub.Name() == "help" {
				continue
			}
			walk(append(prefix, sub.Name()), sub)
		}
	}
	walk(nil, newRootCmd())
}
