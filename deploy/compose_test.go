package deploy_test

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// composeFile is the subset of the Compose specification deploy/compose.yaml
// uses, decoded strictly: a misspelt key fails (add a field here when the
// file needs a new Compose key).
type composeFile struct {
	Services map[string]composeService `yaml:"services"`
	Volumes  map[string]any            `yaml:"volumes"`
}

type composeService struct {
	Image       string            `yaml:"image"`
	Hostname    string            `yaml:"hostname"`
	Build       *composeBuild     `yaml:"build"`
	Entrypoint  []string          `yaml:"entrypoint"`
	Command     []string          `yaml:"command"`
	Environment map[string]string `yaml:"environment"`
	Volumes     []string          `yaml:"volumes"`
	Ports       []string          `yaml:"ports"`
	DependsOn   any               `yaml:"depends_on"`
	Healthcheck *struct {
		Test        []string `yaml:"test"`
		Interval    string   `yaml:"interval"`
		Timeout     string   `yaml:"timeout"`
		Retries     int      `yaml:"retries"`
		StartPeriod string   `yaml:"start_period"`
	} `yaml:"healthcheck"`
	Restart         string   `yaml:"restart"`
	ReadOnly        bool     `yaml:"read_only"`
	CapDrop         []string `yaml:"cap_drop"`
	SecurityOpt     []string `yaml:"security_opt"`
	StopGracePeriod string   `yaml:"stop_grace_period"`
}

type composeBuild struct {
	Context    string `yaml:"context"`
	Dockerfile string `yaml:"dockerfile"`
}

// mount is one short-syntax volume of a service.
type mount struct {
	source, target string
	readOnly       bool
}

func (s composeService) mounts(t *testing.T) map[string]mount {
	t.Helper()
	ms := map[string]mount{}
	for _, v := range s.Volumes {
		parts := strings.Split(v, ":")
		if len(parts) < 2 || len(parts) > 3 {
			t.Fatalf("volume %q: want SOURCE:TARGET[:ro]", v)
		}
		ms[parts[1]] = mount{source: parts[0], target: parts[1], readOnly: len(parts) == 3 && parts[2] == "ro"}
	}
	return ms
}

// dependsOn returns the services s waits for and the condition of each.
func (s composeService) dependsOn() map[string]string {
	deps := map[string]string{}
	switch d := s.DependsOn.(type) {
	case []any:
		for _, n := range d {
			deps[n.(string)] = "service_started"
		}
	case map[string]any:
		for n, c := range d {
			cond, _ := c.(map[string]any)["condition"].(string)
			deps[n] = cond
		}
	}
	return deps
}

func loadCompose(t *testing.T) composeFile {
	t.Helper()
	var cf composeFile
	decodeStrict(t, "compose.yaml", readFile(t, "compose.yaml"), &cf)
	for _, name := range []string{"kafka", "jmlwatch", "prometheus", "grafana"} {
		if _, ok := cf.Services[name]; !ok {
			t.Fatalf("compose.yaml has no %s service", name)
		}
	}
	return cf
}

// TestCompose checks that the compose services fit together: Kafka in
// KRaft mode with the topics the config names, jmlwatch built from the
// Dockerfile with its config, policy and state where the image and the
// config expect them, Prometheus scraping it with the alert rules, Grafana
// provisioned with the dashboard. Every bind-mounted file exists.
func TestCompose(t *testing.T) {
	cf := loadCompose(t)
	cfg := loadRunConfig(t, configPath, readFile(t, filepath.Join("compose", "config.yaml")))
	df := parseDockerfile(t)

	for name, s := range cf.Services {
		if s.Image == "" {
			t.Errorf("service %s has no image", name)
		} else if !strings.Contains(s.Image, ":") || strings.HasSuffix(s.Image, ":latest") {
			t.Errorf("service %s: image %q: pin a version", name, s.Image)
		}
		for _, m := range s.mounts(t) {
			if strings.HasPrefix(m.source, ".") {
				if _, err := os.Stat(m.source); err != nil {
					t.Errorf("service %s mounts %s, which does not exist", name, m.source)
				}
			} else if _, ok := cf.Volumes[m.source]; !ok {
				t.Errorf("service %s mounts volume %q, which is not declared", name, m.source)
			}
		}
		for _, p := range s.Ports {
			if !strings.HasPrefix(p, "127.0.0.1:") {
				t.Errorf("service %s publishes %q beyond loopback", name, p)
			}
		}
		for dep, cond := range s.dependsOn() {
			if _, ok := cf.Services[dep]; !ok {
				t.Errorf("service %s depends on unknown service %s", name, dep)
			}
			if cond == "service_healthy" && cf.Services[dep].Healthcheck == nil {
				t.Errorf("service %s waits for %s to be healthy, which has no healthcheck", name, dep)
			}
		}
	}

	// Kafka: one KRaft node; the cluster id is a Kafka Uuid.
	k := cf.Services["kafka"]
	if !strings.HasPrefix(k.Image, "apache/kafka:") {
		t.Errorf("kafka image %q; want apache/kafka", k.Image)
	}
	if roles := k.Environment["KAFKA_PROCESS_ROLES"]; roles != "broker,controller" {
		t.Errorf("KAFKA_PROCESS_ROLES %q; want broker,controller (KRaft, one node)", roles)
	}
	if v := k.Environment["KAFKA_CONTROLLER_QUORUM_VOTERS"]; v != k.Environment["KAFKA_NODE_ID"]+"@kafka:9093" {
		t.Errorf("KAFKA_CONTROLLER_QUORUM_VOTERS %q does not name node %s", v, k.Environment["KAFKA_NODE_ID"])
	}
	for key := range k.Environment {
		if strings.Contains(strings.ToLower(key), "zookeeper") {
			t.Errorf("kafka: %s: KRaft mode has no ZooKeeper", key)
		}
	}
	if id, err := base64.RawURLEncoding.DecodeString(k.Environment["CLUSTER_ID"]); err != nil || len(id) != 16 {
		t.Errorf("CLUSTER_ID %q is not a Kafka Uuid (base64url of 16 bytes)", k.Environment["CLUSTER_ID"])
	}
	var brokerOK bool
	for _, l := range strings.Split(k.Environment["KAFKA_ADVERTISED_LISTENERS"], ",") {
		if strings.HasSuffix(l, "//"+cfg.Brokers[0]) {
			brokerOK = true
		}
	}
	if !brokerOK {
		t.Errorf("config brokers %v is not an advertised listener (%s)", cfg.Brokers, k.Environment["KAFKA_ADVERTISED_LISTENERS"])
	}
	// kafka-init creates exactly the topics the config reads and writes
	// (auto-creation is off).
	if k.Environment["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] != "false" {
		t.Error("KAFKA_AUTO_CREATE_TOPICS_ENABLE: want false, so that a misspelt topic fails loudly")
	}
	kinit, ok := cf.Services["kafka-init"]
	if !ok {
		t.Fatal("compose.yaml has no kafka-init service to create the topics")
	}
	m := regexp.MustCompile(`for t in ([^;]+);`).FindStringSubmatch(strings.Join(kinit.Command, " "))
	if m == nil {
		t.Fatalf("kafka-init command %q: no `for t in TOPICS;` loop", kinit.Command)
	}
	created := strings.Fields(m[1])
	slices.Sort(created)
	if want := topics(cfg); !slices.Equal(created, want) {
		t.Errorf("kafka-init creates %v; the config uses %v", created, want)
	}

	// jmlwatch: built from deploy/Dockerfile, config at the image's CMD
	// path, policy where the config reads it, state on a volume at the
	// image's VOLUME, the HTTP port published.
	j := cf.Services["jmlwatch"]
	if j.Build == nil || filepath.Clean(filepath.Join(j.Build.Context, j.Build.Dockerfile)) != filepath.Join("..", "deploy", "Dockerfile") {
		t.Errorf("jmlwatch build %+v; want context .. and dockerfile deploy/Dockerfile", j.Build)
	}
	if j.Build != nil && j.Build.Context != repoRoot {
		t.Errorf("jmlwatch build context %q; want the repository root %s (go.mod)", j.Build.Context, repoRoot)
	}
	if deps := j.dependsOn(); deps["kafka-init"] != "service_completed_successfully" {
		t.Errorf("jmlwatch depends_on %v; want kafka-init: service_completed_successfully", deps)
	}
	if len(j.Command) > 0 && j.Command[0] != df.cmd[0] {
		t.Errorf("jmlwatch command %v; the config is mounted at %s", j.Command, df.cmd[0])
	}
	jm := j.mounts(t)
	for target, source := range map[string]string{
		configPath: "./compose/config.yaml",
		cfg.Policy: "./compose/policy.yaml",
	} {
		if mt, ok := jm[target]; !ok || mt.source != source || !mt.readOnly {
			t.Errorf("jmlwatch mount at %s is %+v; want %s read-only", target, mt, source)
		}
	}
	if mt, ok := jm[stateMount]; !ok || strings.HasPrefix(mt.source, ".") || !slices.Contains(df.volumes, stateMount) {
		t.Errorf("jmlwatch state mount %+v; want a named volume at %s, the image's VOLUME", mt, stateMount)
	}
	port := httpPort(t, cfg)
	if !slices.ContainsFunc(j.Ports, func(p string) bool { return strings.HasSuffix(p, ":"+port) }) {
		t.Errorf("jmlwatch ports %v do not publish http_addr's port %s", j.Ports, port)
	}
	if !j.ReadOnly {
		t.Error("jmlwatch: want read_only (the image writes only to its state volume)")
	}

	// Prometheus scrapes jmlwatch on that port and loads the rules where
	// they are mounted.
	var prom struct {
		Global        map[string]string `yaml:"global"`
		RuleFiles     []string          `yaml:"rule_files"`
		ScrapeConfigs []struct {
			JobName       string `yaml:"job_name"`
			MetricsPath   string `yaml:"metrics_path"`
			StaticConfigs []struct {
				Targets []string `yaml:"targets"`
			} `yaml:"static_configs"`
		} `yaml:"scrape_configs"`
	}
	decodeStrict(t, "prometheus/prometheus.yml", readFile(t, filepath.Join("prometheus", "prometheus.yml")), &prom)
	var scraped bool
	for _, sc := range prom.ScrapeConfigs {
		for _, st := range sc.StaticConfigs {
			if slices.Contains(st.Targets, "jmlwatch:"+port) && (sc.MetricsPath == "" || sc.MetricsPath == "/metrics") {
				scraped = true
			}
		}
	}
	if !scraped {
		t.Errorf("prometheus.yml does not scrape jmlwatch:%s/metrics", port)
	}
	pm := cf.Services["prometheus"].mounts(t)
	for _, rf := range prom.RuleFiles {
		if mt, ok := pm[rf]; !ok || mt.source != "./prometheus/alerts.yaml" {
			t.Errorf("rule file %s is not ./prometheus/alerts.yaml mounted there", rf)
		}
	}
	if len(prom.RuleFiles) == 0 {
		t.Error("prometheus.yml loads no rule file")
	}

	// Grafana: the provisioning directory, and the dashboard where the
	// provider reads.
	var provider struct {
		APIVersion int `yaml:"apiVersion"`
		Providers  []struct {
			Name            string `yaml:"name"`
			Folder          string `yaml:"folder"`
			Type            string `yaml:"type"`
			DisableDeletion bool   `yaml:"disableDeletion"`
			AllowUIUpdates  bool   `yaml:"allowUiUpdates"`
			Options         struct {
				Path string `yaml:"path"`
			} `yaml:"options"`
		} `yaml:"providers"`
	}
	decodeStrict(t, "grafana/provisioning/dashboards/jmlwatch.yaml", readFile(t, filepath.Join("grafana", "provisioning", "dashboards", "jmlwatch.yaml")), &provider)
	var datasources struct {
		APIVersion  int `yaml:"apiVersion"`
		Datasources []struct {
			Name      string `yaml:"name"`
			UID       string `yaml:"uid"`
			Type      string `yaml:"type"`
			Access    string `yaml:"access"`
			URL       string `yaml:"url"`
			IsDefault bool   `yaml:"isDefault"`
			Editable  bool   `yaml:"editable"`
		} `yaml:"datasources"`
	}
	decodeStrict(t, "grafana/provisioning/datasources/prometheus.yaml", readFile(t, filepath.Join("grafana", "provisioning", "datasources", "prometheus.yaml")), &datasources)
	if len(datasources.Datasources) != 1 || datasources.Datasources[0].Type != "prometheus" || datasources.Datasources[0].URL != "http://prometheus:9090" {
		t.Errorf("datasources %+v; want the prometheus service", datasources.Datasources)
	}
	gm := cf.Services["grafana"].mounts(t)
	if mt := gm["/etc/grafana/provisioning"]; mt.source != "./grafana/provisioning" {
		t.Errorf("grafana provisioning mount %+v", mt)
	}
	if len(provider.Providers) != 1 {
		t.Fatalf("dashboard providers %+v; want one", provider.Providers)
	}
	dash := filepath.Join(provider.Providers[0].Options.Path, "jmlwatch.json")
	if mt := gm[dash]; mt.source != "./grafana/jmlwatch.json" {
		t.Errorf("grafana does not mount ./grafana/jmlwatch.json at %s, where the provider reads", dash)
	}
	if home := cf.Services["grafana"].Environment["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"]; home != "" && home != dash {
		t.Errorf("home dashboard %s is not the mounted %s", home, dash)
	}
}

// TestDockerComposeConfig validates compose.yaml with `docker-compose
// config` (Debian package docker-compose; it needs no Docker engine).
func TestDockerComposeConfig(t *testing.T) {
	dc := requireTool(t, "docker-compose", "JMLWATCH_REQUIRE_DOCKER_COMPOSE", "docker-compose")
	run(t, ".", dc, "-f", "compose.yaml", "config", "-q")
}
