package runtime

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/jmlwatch/jmlwatch/events/input"
	"github.com/jmlwatch/jmlwatch/processor/policy"
)

// Clock modes (config key clock).
const (
	// ClockWall is SPEC 6 run: caught-up partitions stand at wall time
	// minus their input's max_delay, and a record more than 5 minutes
	// ahead of wall time is rejected as future.
	ClockWall = "wall"
	// ClockEvent drives the clock as replay does: max(clock, record time -
	// allowed_lateness). For demos and backfills; no record is future.
	ClockEvent = "event"
)

// Output modes (outputs.mode).
const (
	ModeBinary     = "binary"
	ModeStructured = "structured"
)

// SASL mechanisms (sasl.mechanism).
const (
	SASLPlain       = "PLAIN"
	SASLSCRAMSHA256 = "SCRAM-SHA-256"
	SASLSCRAMSHA512 = "SCRAM-SHA-512"
)

// Config is the `jmlwatch run` configuration file. Load fills the defaults
// documented on each field; paths are resolved against the directory of the
// config file.
type Config struct {
	// Brokers are the bootstrap host:port addresses (default 127.0.0.1:9092).
	Brokers []string
	// GroupID is the Kafka consumer group (default jmlwatch).
	GroupID string
	// StateDir is the Pebble directory (default ./state).
	StateDir string
	// Policy is the policy file (default ./policy.yaml).
	Policy string
	// HTTPAddr is where /healthz, /readyz, /metrics and /api listen
	// (default 127.0.0.1:8080).
	HTTPAddr string
	// Clock is ClockWall (default) or ClockEvent.
	Clock string
	// HTTPTokenEnv names an environment variable holding the bearer token
	// /api requires; empty: no token.
	HTTPTokenEnv string
	// MaxIdle is how long the apply loop waits for a partition that is not
	// caught up but has nothing fetched (default 200ms).
	MaxIdle time.Duration
	// Inputs are the consumed topics; at least one.
	Inputs []Input
	// Outputs are the produced topics and encoding.
	Outputs Outputs
	// TLS configures TLS to the brokers.
	TLS TLS
	// SASL configures SASL authentication to the brokers.
	SASL SASL

	// File is the path the config was loaded from ("" if built in code).
	File string
}

// Input is one consumed topic.
type Input struct {
	Topic string
	// Format is input.FormatCloudEvents (default), input.FormatOkta or
	// input.FormatEntra.
	Format input.Format
	// MaxDelay is how far behind the source itself may deliver (default 0).
	MaxDelay time.Duration
}

// Outputs names the produced topics.
type Outputs struct {
	EventsTopic string // default jmlwatch.events
	AlertsTopic string // default jmlwatch.alerts
	DLQTopic    string // default jmlwatch.dlq
	Mode        string // ModeBinary (default) or ModeStructured
}

// TLS configures TLS. With Enabled and no CAFile the system roots are used;
// CertFile and KeyFile (both or neither) give a client certificate.
type TLS struct {
	Enabled  bool
	CAFile   string
	CertFile string
	KeyFile  string
}

// SASL configures SASL. An empty Mechanism means no SASL.
type SASL struct {
	Mechanism   string
	Username    string
	PasswordEnv string // names the env var holding the password
}

// Problem is one thing wrong in a config file.
type Problem struct {
	Path    string // e.g. "inputs[1].format"; empty for the whole document
	Line    int    // 1-based; 0 when unknown (a missing key)
	Message string
}

// ConfigError lists every problem of a config file. Callers tell a bad
// config (exit status 2) from other failures with errors.As.
type ConfigError struct {
	File     string
	Problems []Problem
}

// Error returns one line per problem: "file: path: message (line N)".
func (e *ConfigError) Error() string {
	var b strings.Builder
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteByte('\n')
		}
		if e.File != "" {
			b.WriteString(e.File + ": ")
		}
		if p.Path != "" {
			b.WriteString(p.Path + ": ")
		}
		b.WriteString(p.Message)
		if p.Line > 0 {
			fmt.Fprintf(&b, " (line %d)", p.Line)
		}
	}
	return b.String()
}

// LoadConfig reads, parses, defaults and validates the config at path.
// A file that cannot be read is a wrapped os error; anything wrong inside
// it is a *ConfigError listing every problem.
func LoadConfig(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading config %s: %w", path, err)
	}
	return ParseConfig(data, path, os.LookupEnv)
}

// ParseConfig parses a config document. name prefixes messages and, when
// it is a path, relative paths in the config are resolved against its
// directory. lookupEnv checks the variables http_token_env and
// sasl.password_env name (nil: not checked).
func ParseConfig(data []byte, name string, lookupEnv func(string) (string, bool)) (*Config, error) {
	p := &parser{}
	c := Defaults()
	c.File = name
	var root yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&root); err != nil && !errors.Is(err, io.EOF) {
		return nil, &ConfigError{File: name, Problems: []Problem{{Message: "invalid yaml: " + strings.TrimPrefix(err.Error(), "yaml: ")}}}
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		p.add("", extra.Line, "a config file holds one YAML document; found another")
	}
	doc := &root
	if doc.Kind == yaml.DocumentNode && len(doc.Content) > 0 {
		doc = doc.Content[0]
	}
	if doc.Kind == yaml.MappingNode {
		p.mapping(doc, "", func(key string, v *yaml.Node, path string) bool {
			switch key {
			case "brokers":
				c.Brokers = p.strings(v, path)
			case "group_id":
				c.GroupID = p.str(v, path)
			case "state_dir":
				c.StateDir = p.str(v, path)
			case "policy":
				c.Policy = p.str(v, path)
			case "http_addr":
				c.HTTPAddr = p.str(v, path)
			case "clock":
				c.Clock = p.str(v, path)
			case "http_token_env":
				c.HTTPTokenEnv = p.str(v, path)
			case "max_idle":
				c.MaxIdle = p.duration(v, path)
			case "inputs":
				c.Inputs = p.inputs(v, path)
			case "outputs":
				p.outputs(v, path, &c.Outputs)
			case "tls":
				p.tls(v, path, &c.TLS)
			case "sasl":
				p.sasl(v, path, &c.SASL)
			default:
				return false
			}
			return true
		})
	} else if doc.Kind != 0 && doc.ShortTag() != "!!null" {
		p.add("", doc.Line, "a config must be a mapping of keys (brokers, inputs, outputs, ...)")
	}
	p.lines = lineIndex(doc)
	c.validate(p, lookupEnv)
	if len(p.list) > 0 {
		slices.SortStableFunc(p.list, func(a, b Problem) int { return a.Line - b.Line })
		return nil, &ConfigError{File: name, Problems: p.list}
	}
	if name != "" {
		dir := filepath.Dir(name)
		for _, s := range []*string{&c.StateDir, &c.Policy, &c.TLS.CAFile, &c.TLS.CertFile, &c.TLS.KeyFile} {
			if *s != "" && !filepath.IsAbs(*s) {
				*s = filepath.Join(dir, *s)
			}
		}
	}
	return c, nil
}

// Defaults returns a Config holding every default and no inputs.
func Defaults() *Config {
	return &Config{
		Brokers:  []string{"127.0.0.1:9092"},
		GroupID:  "jmlwatch",
		StateDir: "./state",
		Policy:   "./policy.yaml",
		HTTPAddr: "127.0.0.1:8080",
		Clock:    ClockWall,
		MaxIdle:  200 * time.Millisecond,
		Outputs: Outputs{
			EventsTopic: "jmlwatch.events",
			AlertsTopic: "jmlwatch.alerts",
			DLQTopic:    "jmlwatch.dlq",
			Mode:        ModeBinary,
		},
	}
}

// Validate checks a Config built in code, returning a *ConfigError listing
// every problem (environment variables are not checked).
func (c *Config) Validate() error {
	p := &parser{}
	c.validate(p, nil)
	if len(p.list) > 0 {
		return &ConfigError{File: c.File, Problems: p.list}
	}
	return nil
}

func (c *Config) validate(p *parser, lookupEnv func(string) (string, bool)) {
	if len(c.Brokers) == 0 {
		p.addPath("brokers", "needs at least one host:port")
	}
	for i, b := range c.Brokers {
		if _, port, err := net.SplitHostPort(b); err != nil || port == "" {
			p.addPath(fmt.Sprintf("brokers[%d]", i), "%q is not host:port", b)
		}
	}
	if c.GroupID == "" {
		p.addPath("group_id", "must not be empty")
	}
	if c.StateDir == "" {
		p.addPath("state_dir", "must not be empty")
	}
	if c.Policy == "" {
		p.addPath("policy", "must not be empty")
	}
	if _, _, err := net.SplitHostPort(c.HTTPAddr); err != nil {
		p.addPath("http_addr", "%q is not host:port", c.HTTPAddr)
	}
	if c.Clock != ClockWall && c.Clock != ClockEvent {
		p.addPath("clock", "%q: want wall or event", c.Clock)
	}
	if c.HTTPTokenEnv != "" && lookupEnv != nil {
		if v, ok := lookupEnv(c.HTTPTokenEnv); !ok || v == "" {
			p.addPath("http_token_env", "environment variable %s is not set or empty", c.HTTPTokenEnv)
		}
	}
	if c.MaxIdle <= 0 {
		p.addPath("max_idle", "must be positive")
	}
	if len(c.Inputs) == 0 {
		p.addPath("inputs", "needs at least one {topic, format}")
	}
	topics := map[string]string{}
	for i, in := range c.Inputs {
		path := fmt.Sprintf("inputs[%d]", i)
		switch {
		case in.Topic == "":
			p.addPath(path+".topic", "must not be empty")
		case topics[in.Topic] != "":
			p.addPath(path+".topic", "%q is already %s", in.Topic, topics[in.Topic])
		default:
			topics[in.Topic] = path
		}
		switch in.Format {
		case input.FormatCloudEvents, input.FormatOkta, input.FormatEntra:
		default:
			p.addPath(path+".format", "%q: want cloudevents, okta or entra", in.Format)
		}
		if in.MaxDelay < 0 {
			p.addPath(path+".max_delay", "must not be negative")
		}
	}
	outs := map[string]string{}
	for _, o := range []struct{ path, topic string }{
		{"outputs.events_topic", c.Outputs.EventsTopic},
		{"outputs.alerts_topic", c.Outputs.AlertsTopic},
		{"outputs.dlq_topic", c.Outputs.DLQTopic},
	} {
		switch {
		case o.topic == "":
			p.addPath(o.path, "must not be empty")
		case topics[o.topic] != "":
			p.addPath(o.path, "%q is also an input (%s): outputs would be read back", o.topic, topics[o.topic])
		case outs[o.topic] != "" && o.path == "outputs.dlq_topic":
			p.addPath(o.path, "%q is also %s: dead letters must have their own topic", o.topic, outs[o.topic])
		}
		if o.topic != "" && outs[o.topic] == "" {
			outs[o.topic] = o.path
		}
	}
	if c.Outputs.Mode != ModeBinary && c.Outputs.Mode != ModeStructured {
		p.addPath("outputs.mode", "%q: want binary or structured", c.Outputs.Mode)
	}
	if (c.TLS.CertFile == "") != (c.TLS.KeyFile == "") {
		p.addPath("tls", "cert_file and key_file go together")
	}
	if !c.TLS.Enabled && (c.TLS.CAFile != "" || c.TLS.CertFile != "" || c.TLS.KeyFile != "") {
		p.addPath("tls.enabled", "is false but tls files are set")
	}
	switch c.SASL.Mechanism {
	case "":
		if c.SASL.Username != "" || c.SASL.PasswordEnv != "" {
			p.addPath("sasl.mechanism", "is empty but a username or password_env is set")
		}
	case SASLPlain, SASLSCRAMSHA256, SASLSCRAMSHA512:
		if c.SASL.Username == "" {
			p.addPath("sasl.username", "must be set with mechanism %s", c.SASL.Mechanism)
		}
		if c.SASL.PasswordEnv == "" {
			p.addPath("sasl.password_env", "must name the environment variable holding the password")
		} else if lookupEnv != nil {
			if _, ok := lookupEnv(c.SASL.PasswordEnv); !ok {
				p.addPath("sasl.password_env", "environment variable %s is not set", c.SASL.PasswordEnv)
			}
		}
	default:
		p.addPath("sasl.mechanism", "%q: want PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512", c.SASL.Mechanism)
	}
}

// parser walks the YAML tree, collecting problems with their paths.
type parser struct {
	list  []Problem
	lines map[string]int
}

func (p *parser) add(path string, line int, format string, args ...any) {
	p.list = append(p.list, Problem{Path: path, Line: line, Message: fmt.Sprintf(format, args...)})
}

// addPath adds a problem found after parsing, at path's line if known.
func (p *parser) addPath(path, format string, args ...any) {
	p.add(path, p.lines[path], format, args...)
}

// mapping calls fn for each key of n; fn returns false for unknown keys.
func (p *parser) mapping(n *yaml.Node, path string, fn func(key string, v *yaml.Node, path string) bool) {
	if n.Kind != yaml.MappingNode {
		p.add(path, n.Line, "must be a mapping, not %s", kindName(n))
		return
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		kp := join(path, k.Value)
		if seen[k.Value] {
			p.add(kp, k.Line, "duplicate key")
			continue
		}
		seen[k.Value] = true
		if !fn(k.Value, v, kp) {
			p.add(kp, k.Line, "unknown key")
		}
	}
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func (p *parser) str(n *yaml.Node, path string) string {
	if n.Kind != yaml.ScalarNode || n.ShortTag() == "!!null" && n.Value != "" {
		p.add(path, n.Line, "must be a string, not %s", kindName(n))
		return ""
	}
	if n.ShortTag() == "!!null" {
		return ""
	}
	return n.Value
}

func (p *parser) boolean(n *yaml.Node, path string) bool {
	var b bool
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" || n.Decode(&b) != nil {
		p.add(path, n.Line, "must be true or false")
	}
	return b
}

func (p *parser) duration(n *yaml.Node, path string) time.Duration {
	s := p.str(n, path)
	if n.Kind != yaml.ScalarNode {
		return 0
	}
	d, err := policy.ParseDuration(s)
	if err != nil {
		p.add(path, n.Line, "%v", err)
	}
	return d
}

func (p *parser) strings(n *yaml.Node, path string) []string {
	if n.Kind != yaml.SequenceNode {
		p.add(path, n.Line, "must be a list of strings, not %s", kindName(n))
		return nil
	}
	out := make([]string, 0, len(n.Content))
	for i, e := range n.Content {
		out = append(out, p.str(e, fmt.Sprintf("%s[%d]", path, i)))
	}
	return out
}

func (p *parser) inputs(n *yaml.Node, path string) []Input {
	if n.Kind != yaml.SequenceNode {
		p.add(path, n.Line, "must be a list of {topic, format, max_delay}, not %s", kindName(n))
		return nil
	}
	var out []Input
	for i, e := range n.Content {
		in := Input{Format: input.FormatCloudEvents}
		p.mapping(e, fmt.Sprintf("%s[%d]", path, i), func(key string, v *yaml.Node, kp string) bool {
			switch key {
			case "topic":
				in.Topic = p.str(v, kp)
			case "format":
				in.Format = input.Format(p.str(v, kp))
			case "max_delay":
				in.MaxDelay = p.duration(v, kp)
			default:
				return false
			}
			return true
		})
		out = append(out, in)
	}
	return out
}

func (p *parser) outputs(n *yaml.Node, path string, o *Outputs) {
	p.mapping(n, path, func(key string, v *yaml.Node, kp string) bool {
		switch key {
		case "events_topic":
			o.EventsTopic = p.str(v, kp)
		case "alerts_topic":
			o.AlertsTopic = p.str(v, kp)
		case "dlq_topic":
			o.DLQTopic = p.str(v, kp)
		case "mode":
			o.Mode = p.str(v, kp)
		default:
			return false
		}
		return true
	})
}

func (p *parser) tls(n *yaml.Node, path string, t *TLS) {
	p.mapping(n, path, func(key string, v *yaml.Node, kp string) bool {
		switch key {
		case "enabled":
			t.Enabled = p.boolean(v, kp)
		case "ca_file":
			t.CAFile = p.str(v, kp)
		case "cert_file":
			t.CertFile = p.str(v, kp)
		case "key_file":
			t.KeyFile = p.str(v, kp)
		default:
			return false
		}
		return true
	})
}

func (p *parser) sasl(n *yaml.Node, path string, s *SASL) {
	p.mapping(n, path, func(key string, v *yaml.Node, kp string) bool {
		switch key {
		case "mechanism":
			s.Mechanism = p.str(v, kp)
		case "username":
			s.Username = p.str(v, kp)
		case "password_env":
			s.PasswordEnv = p.str(v, kp)
		default:
			return false
		}
		return true
	})
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	}
	switch n.ShortTag() {
	case "!!int", "!!float":
		return "a number"
	case "!!bool":
		return "a boolean"
	case "!!null":
		return "null"
	}
	return "a string"
}

// lineIndex maps every key path of the document to its line, for problems
// found after parsing.
func lineIndex(n *yaml.Node) map[string]int {
	lines := map[string]int{}
	var walk func(n *yaml.Node, path string)
	walk = func(n *yaml.Node, path string) {
		switch n.Kind {
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				kp := join(path, n.Content[i].Value)
				if _, ok := lines[kp]; !ok {
					lines[kp] = n.Content[i].Line
				}
				walk(n.Content[i+1], kp)
			}
		case yaml.SequenceNode:
			for i, e := range n.Content {
				ip := fmt.Sprintf("%s[%d]", path, i)
				lines[ip] = e.Line
				walk(e, ip)
			}
		}
	}
	walk(n, "")
	return lines
}
