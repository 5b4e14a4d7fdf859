package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/jmlwatch/jmlwatch/processor/broker"
)

// newBrokerCmd returns `jmlwatch broker --addr HOST:PORT [--partitions N]
// [--topics a,b]` (SPEC section 1): a single-node in-memory Kafka-protocol
// broker for development and tests. It runs until SIGINT or SIGTERM.
func newBrokerCmd() *cobra.Command {
	var (
		addr       string
		partitions int
		topics     string
	)
	cmd := &cobra.Command{
		Use:   "broker [--addr HOST:PORT] [--partitions N] [--topics a,b]",
		Short: "Run a single-node Kafka-protocol broker for development and tests (not for production)",
		Long: `Broker runs a single-node, in-memory Kafka-protocol broker (franz-go kfake)
for local development and tests. It is NOT for production: it has one
replica, keeps every record in memory and forgets everything when it stops.

Topics listed in --topics are created at start; any other topic is created
on first use. Every topic gets --partitions partitions.

It prints the listening address and runs until SIGINT or SIGTERM.

Exit status: 0 on a signal, 1 if it cannot listen, 2 for bad usage.`,
		Example: `  jmlwatch broker --addr 127.0.0.1:9092 --partitions 3 --topics hr,okta,entra`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if partitions < 1 {
				return usageErrorf("--partitions %d: must be at least 1", partitions)
			}
			var ts []string
			for _, t := range strings.Split(topics, ",") {
				if t = strings.TrimSpace(t); t != "" {
					ts = append(ts, t)
				}
			}
			b, err := broker.Start(cmd.Context(), broker.Options{Addr: addr, Partitions: partitions, Topics: ts})
			if err != nil {
				return err
			}
			defer b.Close()
			fmt.Fprintf(cmd.OutOrStdout(), "jmlwatch broker listening on %s (development only; %d partition(s) per topic)\n", b.Addr(), partitions)
			<-cmd.Context().Done()
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&addr, "addr", "127.0.0.1:9092", "host:port to listen on")
	f.IntVar(&partitions, "partitions", 1, "partitions of every topic created")
	f.StringVar(&topics, "topics", "", "comma-separated topics to create at start")
	return cmd
}
