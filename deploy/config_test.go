package deploy_test

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestShippedConfigs loads the run configs and policies that the
// ConfigMap and compose ship with jmlwatch's own strict loaders (unknown
// keys, bad durations, bad topics and bad SLA rules are errors there) and
// checks what a container deployment needs of them.
func TestShippedConfigs(t *testing.T) {
	cm := loadManifests(t).configMap
	for _, tc := range []struct {
		name           string
		config, policy []byte
	}{
		{"k8s/configmap.yaml", []byte(cm.Data["config.yaml"]), []byte(cm.Data["policy.yaml"])},
		{"compose", readFile(t, filepath.Join("compose", "config.yaml")), readFile(t, filepath.Join("compose", "policy.yaml"))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := loadRunConfig(t, configPath, tc.config)
			checkServedConfig(t, tc.name, c)
			p := loadPolicy(t, tc.name+" policy.yaml", tc.policy)
			// The leaver systems need an SLA and are tracked: the policy
			// must list them so their metrics label is not "other".
			for _, s := range p.Leaver.Systems {
				if p.MetricLabel(s) == "other" {
					t.Errorf("leaver system %q is not listed under systems", s)
				}
			}
		})
	}
	// One example policy: what runs on a laptop is what ships to
	// Kubernetes.
	if got, want := cm.Data["policy.yaml"], string(readFile(t, filepath.Join("compose", "policy.yaml"))); got != want {
		t.Error("the ConfigMap's policy.yaml differs from compose/policy.yaml; keep them the same")
	}
	// The two configs differ only where the deployments differ.
	k8s := loadRunConfig(t, configPath, []byte(cm.Data["config.yaml"]))
	compose := loadRunConfig(t, configPath, readFile(t, filepath.Join("compose", "config.yaml")))
	if a, b := strings.Join(topics(k8s), ","), strings.Join(topics(compose), ","); a != b {
		t.Errorf("topics: ConfigMap %s, compose %s", a, b)
	}
}
