// Command jmlwatch measures joiner-mover-leaver (JML) timeliness: it matches
// HR triggers to the provisioning and revocation that complete them and
// emits latency and SLA events as CloudEvents. See docs/ARCHITECTURE.md and
// the SPEC for the commands and their contract.
//
// This package is wiring only. Each subcommand lives in its own file,
// <name>.go, exposing new<Name>Cmd() *cobra.Command, and is registered with
// one line in newRootCmd. A subcommand:
//   - writes to cmd.OutOrStdout() and cmd.ErrOrStderr(), never os.Stdout;
//   - uses cmd.Context(), which is cancelled on SIGINT and SIGTERM;
//   - returns usageError / usageErrorf for bad usage, a bad config or a bad
//     policy (exit status 2), and any other error for a runtime failure
//     (exit status 1). exitStatus(code, err) sets a status explicitly.
//
// Exit status: 0 success, 1 runtime failure, 2 bad usage (SPEC section 1).
// Errors cobra itself reports (unknown command or flag, bad flag value,
// wrong arguments, missing required flag) are bad usage.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	_ "time/tzdata" // policy.timezone must resolve on hosts without a zoneinfo database

	"github.com/spf13/cobra"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// newRootCmd returns the jmlwatch command with every subcommand registered.
func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "jmlwatch",
		Short: "Measure joiner-mover-leaver timeliness from HR, IdP and ticket events",
		Long: `jmlwatch matches each joiner, mover and leaver trigger from HR to the
provisioning or revocation that completes it in every target system, and
emits latency and SLA-breach events as CloudEvents.

Exit status: 0 success, 1 runtime failure, 2 bad usage, config or policy.`,
		SilenceErrors: true, // run prints errors once, with the exit status
		SilenceUsage:  true, // a runtime failure is not a usage problem
	}
	root.AddCommand(
		newValidateCmd(),
		newBrokerCmd(),
		newRunCmd(),
		newGenCmd(),
		newDemoCmd(),
		newReportCmd(),
		newReplayCmd(),
	)
	return root
}

// run executes the command line args and returns the process exit status.
// Errors are printed to stderr as "jmlwatch: <error>".
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return execute(ctx, newRootCmd(), args, stdout, stderr)
}

// execute runs root with args and maps the outcome to an exit status.
func execute(ctx context.Context, root *cobra.Command, args []string, stdout, stderr io.Writer) int {
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError(err) })
	markRuntimeErrors(root)

	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return 0
	}
	code := 2 // an error cobra reports before any command code runs
	var ee *exitError
	if errors.As(err, &ee) {
		code = ee.code
		err = ee.err
	}
	if err != nil {
		fmt.Fprintf(stderr, "jmlwatch: %v\n", err)
		if code == 2 && cmd != nil {
			fmt.Fprintf(stderr, "Run '%s --help' for usage.\n", cmd.CommandPath())
		}
	}
	return code
}

// exitError is an error with the exit status it causes. A nil err means the
// command already reported the problem (e.g. rejected records under
// --strict) and only the status remains to be set.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// usageError marks err as bad usage, a bad config or a bad policy: exit
// status 2. The message should name the file, the field and what is wrong.
func usageError(err error) error { return &exitError{code: 2, err: err} }

// usageErrorf is usageError(fmt.Errorf(format, args...)).
func usageErrorf(format string, args ...any) error {
	return usageError(fmt.Errorf(format, args...))
}

// exitStatus returns an error that makes jmlwatch exit with code, printing
// err unless it is nil.
func exitStatus(code int, err error) error { return &exitError{code: code, err: err} }

// markRuntimeErrors wraps the RunE hooks of cmd and its subcommands so that
// an error they return without a status gets status 1. Errors that do not
// pass through a hook come from cobra's own checks and keep status 2.
func markRuntimeErrors(cmd *cobra.Command) {
	hooks := []*func(*cobra.Command, []string) error{
		&cmd.PersistentPreRunE, &cmd.PreRunE, &cmd.RunE, &cmd.PostRunE, &cmd.PersistentPostRunE,
	}
	for _, h := range hooks {
		if f := *h; f != nil {
			*h = func(c *cobra.Command, args []string) error {
				err := f(c, args)
				var ee *exitError
				if err == nil || errors.As(err, &ee) {
					return err
				}
				return &exitError{code: 1, err: err}
			}
		}
	}
	for _, sub := range cmd.Commands() {
		markRuntimeErrors(sub)
	}
}
