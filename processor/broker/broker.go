package broker

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"

	"github.com/twmb/franz-go/pkg/kfake"
)

// DefaultPartitions is the partition count of topics created when
// Options.Partitions is zero.
const DefaultPartitions = 1

// Options configures Start.
type Options struct {
	// Addr is the host:port to listen on. Empty means "127.0.0.1:0": a
	// free loopback port, as tests want; read it back with Broker.Addr.
	Addr string
	// Partitions is the partition count of every topic created, whether
	// listed in Topics or created on first use (auto-creation is always
	// on). Zero means DefaultPartitions.
	Partitions int
	// Topics are created at start.
	Topics []string
	// Extra are kfake options appended after the broker's own, for tests
	// that need SASL users (kfake.EnableSASL, kfake.Superuser, kfake.User),
	// a TLS listener (kfake.TLS) or short group session timeouts
	// (kfake.GroupMinSessionTimeout). Later options win.
	Extra []kfake.Opt
}

// Broker is a running single-node broker. Its methods are safe for
// concurrent use.
type Broker struct {
	c    *kfake.Cluster
	addr string
}

// Start starts a broker listening on opts.Addr. The caller must call Close.
// ctx bounds only the start; cancelling it later does not stop the broker.
func Start(ctx context.Context, opts Options) (*Broker, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if opts.Addr == "" {
		opts.Addr = "127.0.0.1:0"
	}
	if opts.Partitions < 0 {
		return nil, fmt.Errorf("broker: partitions %d: must be positive", opts.Partitions)
	}
	if opts.Partitions == 0 {
		opts.Partitions = DefaultPartitions
	}
	host, portStr, err := net.SplitHostPort(opts.Addr)
	if err != nil {
		return nil, fmt.Errorf("broker: address %q: %w", opts.Addr, err)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil || port < 0 || port > 65535 {
		return nil, fmt.Errorf("broker: address %q: bad port", opts.Addr)
	}
	// kfake listens on 127.0.0.1; ListenFn lets us honour the host asked
	// for (e.g. 0.0.0.0 in a container) while kfake keeps the port logic.
	listen := func(network, _ string) (net.Listener, error) {
		return net.Listen(network, net.JoinHostPort(host, strconv.Itoa(port)))
	}
	kopts := []kfake.Opt{
		kfake.NumBrokers(1),
		kfake.Ports(port),
		kfake.ListenFn(listen),
		kfake.AllowAutoTopicCreation(),
		kfake.DefaultNumPartitions(opts.Partitions),
		kfake.ClusterID("jmlwatch-dev"),
	}
	var topics []string
	for _, t := range opts.Topics {
		if t != "" {
			topics = append(topics, t)
		}
	}
	if len(topics) > 0 {
		kopts = append(kopts, kfake.SeedTopics(int32(opts.Partitions), topics...))
	}
	kopts = append(kopts, opts.Extra...)
	c, err := kfake.NewCluster(kopts...)
	if err != nil {
		return nil, fmt.Errorf("broker: starting on %s: %w", opts.Addr, err)
	}
	addrs := c.ListenAddrs()
	if len(addrs) == 0 {
		c.Close()
		return nil, errors.New("broker: no listener")
	}
	return &Broker{c: c, addr: addrs[0]}, nil
}

// Addr returns the host:port the broker listens on (the bootstrap address).
func (b *Broker) Addr() string { return b.addr }

// Cluster returns the underlying kfake cluster, for tests that inject
// faults.
func (b *Broker) Cluster() *kfake.Cluster { return b.c }

// Close stops the broker and drops its data. It is safe to call twice.
func (b *Broker) Close() { b.c.Close() }
