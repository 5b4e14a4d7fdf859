package deploy_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
	k8sjson "sigs.k8s.io/json"
	sigsyaml "sigs.k8s.io/yaml"
)

// manifests are the decoded Kubernetes objects of deploy/k8s.
type manifests struct {
	statefulSet *appsv1.StatefulSet
	service     *corev1.Service
	configMap   *corev1.ConfigMap
	pdb         *policyv1.PodDisruptionBudget
	files       []string // the manifest files, sorted
}

// newObject returns an empty typed object for an apiVersion and kind, or
// nil for a kind deploy/k8s does not ship.
func newObject(apiVersion, kind string) any {
	switch apiVersion + "/" + kind {
	case "apps/v1/StatefulSet":
		return &appsv1.StatefulSet{}
	case "v1/Service":
		return &corev1.Service{}
	case "v1/ConfigMap":
		return &corev1.ConfigMap{}
	case "policy/v1/PodDisruptionBudget":
		return &policyv1.PodDisruptionBudget{}
	}
	return nil
}

// decodeManifest strictly decodes one YAML document into the k8s.io/api
// type its apiVersion and kind name: an unknown or misspelt field (also in
// letter case), a duplicate key or a value of the wrong type is an error.
func decodeManifest(doc []byte) (any, error) {
	var tm struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
	}
	if err := sigsyaml.Unmarshal(doc, &tm); err != nil {
		return nil, err
	}
	obj := newObject(tm.APIVersion, tm.Kind)
	if obj == nil {
		return nil, fmt.Errorf("unexpected object %s %s", tm.APIVersion, tm.Kind)
	}
	// YAML to JSON rejecting duplicate keys, then JSON into the type the
	// way the API server's strict field validation does: field names match
	// case-sensitively (encoding/json would take clusterIp for clusterIP)
	// and every unknown or duplicate field is reported with its path.
	js, err := sigsyaml.YAMLToJSONStrict(doc)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", tm.Kind, err)
	}
	strict, err := k8sjson.UnmarshalStrict(js, obj, k8sjson.DisallowDuplicateFields, k8sjson.DisallowUnknownFields)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", tm.Kind, err)
	}
	if err := errors.Join(strict...); err != nil {
		return nil, fmt.Errorf("%s: %w", tm.Kind, err)
	}
	return obj, nil
}

// splitDocuments splits a YAML stream at its "---" separators, dropping
// documents that hold only comments.
func splitDocuments(data []byte) [][]byte {
	var docs [][]byte
	for _, d := range bytes.Split(append([]byte("\n"), data...), []byte("\n---")) {
		empty := true
		for _, line := range strings.Split(string(d), "\n") {
			if s := strings.TrimSpace(line); s != "" && !strings.HasPrefix(s, "#") {
				empty = false
				break
			}
		}
		if !empty {
			docs = append(docs, d)
		}
	}
	return docs
}

// loadManifests decodes every manifest of deploy/k8s (except the
// kustomization), failing the test on any error.
func loadManifests(t *testing.T) *manifests {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join("k8s", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	m := &manifests{}
	for _, path := range paths {
		if filepath.Base(path) == "kustomization.yaml" {
			continue
		}
		m.files = append(m.files, filepath.Base(path))
		for i, doc := range splitDocuments(readFile(t, path)) {
			obj, err := decodeManifest(doc)
			if err != nil {
				t.Fatalf("%s document %d: %v", path, i+1, err)
			}
			var dup bool
			switch o := obj.(type) {
			case *appsv1.StatefulSet:
				dup, m.statefulSet = m.statefulSet != nil, o
			case *corev1.Service:
				dup, m.service = m.service != nil, o
			case *corev1.ConfigMap:
				dup, m.configMap = m.configMap != nil, o
			case *policyv1.PodDisruptionBudget:
				dup, m.pdb = m.pdb != nil, o
			}
			if dup {
				t.Fatalf("%s document %d: a second %T", path, i+1, obj)
			}
		}
	}
	switch {
	case m.statefulSet == nil:
		t.Fatal("deploy/k8s has no StatefulSet")
	case m.service == nil:
		t.Fatal("deploy/k8s has no Service")
	case m.configMap == nil:
		t.Fatal("deploy/k8s has no ConfigMap")
	case m.pdb == nil:
		t.Fatal("deploy/k8s has no PodDisruptionBudget")
	}
	return m
}

// TestManifestStrictDecoding checks that the decoder used by the other
// tests rejects what the API server would: an unknown field, a field in
// the wrong place, a wrong type, a duplicate key, an unknown kind.
func TestManifestStrictDecoding(t *testing.T) {
	for _, tc := range []struct {
		name, doc, want string
	}{
		{"valid", "apiVersion: v1\nkind: Service\nmetadata: {name: x}\nspec: {clusterIP: None}\n", ""},
		{"unknown field", "apiVersion: v1\nkind: Service\nmetadata: {name: x}\nspec: {clusterIp: None}\n", `unknown field "spec.clusterIp"`},
		{"misplaced field", "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: x}\nspec: {replicas: 1, volumeClaimTemplate: []}\n", `unknown field "spec.volumeClaimTemplate"`},
		{"wrong type", "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: x}\nspec: {replicas: one}\n", "cannot unmarshal string"},
		{"duplicate key", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: {a: b}\ndata: {c: d}\n", `key "data" already set`},
		{"letter case", "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: x}\nspec: {serviceName: a, ServiceName: b}\n", `unknown field "spec.ServiceName"`},
		{"unknown kind", "apiVersion: v1\nkind: Pod\nmetadata: {name: x}\n", "unexpected object v1 Pod"},
		{"old api version", "apiVersion: policy/v1beta1\nkind: PodDisruptionBudget\nmetadata: {name: x}\n", "unexpected object"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := decodeManifest([]byte(tc.doc))
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tc.want != "" && err == nil:
				t.Fatalf("decoded; want an error containing %q", tc.want)
			case tc.want != "" && !strings.Contains(err.Error(), tc.want):
				t.Fatalf("error %q; want it to contain %q", err, tc.want)
			}
		})
	}
}

// TestKustomizationListsEveryManifest checks the kustomization against the
// manifest files (a file left out would silently not be deployed).
func TestKustomizationListsEveryManifest(t *testing.T) {
	m := loadManifests(t)
	var k struct {
		APIVersion string `yaml:"apiVersion"`
		Kind       string `yaml:"kind"`
		Labels     []struct {
			Pairs map[string]string `yaml:"pairs"`
		} `yaml:"labels"`
		Resources []string `yaml:"resources"`
		Images    []struct {
			Name    string `yaml:"name"`
			NewName string `yaml:"newName"`
			NewTag  string `yaml:"newTag"`
		} `yaml:"images"`
	}
	decodeStrict(t, "k8s/kustomization.yaml", readFile(t, filepath.Join("k8s", "kustomization.yaml")), &k)
	if k.APIVersion != "kustomize.config.k8s.io/v1beta1" || k.Kind != "Kustomization" {
		t.Errorf("kustomization: %s %s", k.APIVersion, k.Kind)
	}
	res := slices.Clone(k.Resources)
	slices.Sort(res)
	if !slices.Equal(res, m.files) {
		t.Errorf("kustomization resources %v; the manifests are %v", res, m.files)
	}
	image := m.statefulSet.Spec.Template.Spec.Containers[0].Image
	name, _, _ := strings.Cut(image, ":")
	if len(k.Images) != 1 || k.Images[0].Name != name {
		t.Errorf("kustomization images %+v do not set the StatefulSet's image %q", k.Images, name)
	}
}

// TestStatefulSet checks what docs/DEPLOY.md promises of the StatefulSet.
func TestStatefulSet(t *testing.T) {
	m := loadManifests(t)
	sts := m.statefulSet
	spec := sts.Spec
	pod := spec.Template.Spec
	cfg := loadRunConfig(t, configPath, []byte(m.configMap.Data["config.yaml"]))

	if spec.Replicas == nil || *spec.Replicas != 1 {
		t.Errorf("replicas %s: jmlwatch runs as one replica (one member owns every partition)", deref(spec.Replicas))
	}
	if spec.ServiceName != m.service.Name {
		t.Errorf("serviceName %q; the headless Service is %q", spec.ServiceName, m.service.Name)
	}
	sel, err := metav1.LabelSelectorAsSelector(spec.Selector)
	if err != nil {
		t.Fatal(err)
	}
	if !sel.Matches(labels.Set(spec.Template.Labels)) {
		t.Errorf("selector %v does not match the pod labels %v", spec.Selector, spec.Template.Labels)
	}
	if len(pod.Containers) != 1 {
		t.Fatalf("%d containers; want 1", len(pod.Containers))
	}
	c := pod.Containers[0]

	// The image's entrypoint is `jmlwatch run --config`: the first
	// argument is the config path, inside the ConfigMap's mount.
	if len(c.Command) != 0 {
		t.Errorf("command %v overrides the image's entrypoint", c.Command)
	}
	if len(c.Args) == 0 || c.Args[0] != configPath {
		t.Errorf("args %v; want the config path %s first", c.Args, configPath)
	}

	// Volumes: the claim template for the state, the ConfigMap for config
	// and policy.
	if len(spec.VolumeClaimTemplates) != 1 {
		t.Fatalf("%d volumeClaimTemplates; want 1 (state)", len(spec.VolumeClaimTemplates))
	}
	claim := spec.VolumeClaimTemplates[0]
	if !slices.Contains(claim.Spec.AccessModes, corev1.ReadWriteOnce) {
		t.Errorf("state claim access modes %v; want ReadWriteOnce", claim.Spec.AccessModes)
	}
	if q := claim.Spec.Resources.Requests[corev1.ResourceStorage]; q.IsZero() {
		t.Error("state claim requests no storage")
	}
	mounts := map[string]corev1.VolumeMount{}
	for _, vm := range c.VolumeMounts {
		mounts[vm.Name] = vm
	}
	if vm, ok := mounts[claim.Name]; !ok || vm.MountPath != stateMount || vm.ReadOnly {
		t.Errorf("state claim %q mounted as %+v; want read-write at %s", claim.Name, vm, stateMount)
	}
	if !within(cfg.StateDir, stateMount) {
		t.Errorf("config state_dir %q is not on the state volume %s", cfg.StateDir, stateMount)
	}
	var cmVolume string
	for _, v := range pod.Volumes {
		if v.ConfigMap != nil {
			if v.ConfigMap.Name != m.configMap.Name {
				t.Errorf("volume %q refers to ConfigMap %q; the ConfigMap is %q", v.Name, v.ConfigMap.Name, m.configMap.Name)
			}
			cmVolume = v.Name
		}
		if v.Name == claim.Name {
			t.Errorf("pod volume %q shadows the state claim template", v.Name)
		}
	}
	vm, ok := mounts[cmVolume]
	if cmVolume == "" || !ok {
		t.Fatal("the ConfigMap is not mounted")
	}
	for key, path := range map[string]string{"config.yaml": configPath, "policy.yaml": cfg.Policy} {
		if _, ok := m.configMap.Data[key]; !ok {
			t.Errorf("ConfigMap has no %s", key)
		}
		if want := filepath.Join(vm.MountPath, key); path != want {
			t.Errorf("%s is read from %s but mounted at %s", key, path, want)
		}
	}
	if !vm.ReadOnly {
		t.Error("the ConfigMap mount is not read-only")
	}

	// The HTTP port, the probes and the Service agree with http_addr.
	port := httpPort(t, cfg)
	var httpName string
	for _, p := range c.Ports {
		if strconv.Itoa(int(p.ContainerPort)) == port {
			httpName = p.Name
		}
	}
	if httpName == "" {
		t.Fatalf("no container port is http_addr's %s: %+v", port, c.Ports)
	}
	for _, pr := range []struct {
		name  string
		probe *corev1.Probe
		path  string
	}{
		{"livenessProbe", c.LivenessProbe, "/healthz"},
		{"readinessProbe", c.ReadinessProbe, "/readyz"},
		{"startupProbe", c.StartupProbe, "/healthz"},
	} {
		switch {
		case pr.probe == nil || pr.probe.HTTPGet == nil:
			t.Errorf("%s: want an httpGet probe on %s", pr.name, pr.path)
		case pr.probe.HTTPGet.Path != pr.path:
			t.Errorf("%s path %q; want %s", pr.name, pr.probe.HTTPGet.Path, pr.path)
		case pr.probe.HTTPGet.Port != intstr.FromString(httpName) && pr.probe.HTTPGet.Port.String() != port:
			t.Errorf("%s port %s; want %s (%s)", pr.name, pr.probe.HTTPGet.Port.String(), httpName, port)
		}
	}

	// http_token_env names a variable the pod sets (LoadConfig refuses to
	// start without it).
	if cfg.HTTPTokenEnv == "" {
		t.Error("config has no http_token_env: /api would be open on every interface")
	}
	var tokenSet bool
	for _, e := range c.Env {
		if e.Name == cfg.HTTPTokenEnv && (e.Value != "" || e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil) {
			tokenSet = true
		}
	}
	if cfg.HTTPTokenEnv != "" && !tokenSet {
		t.Errorf("http_token_env %s is not set from a Secret in the container env", cfg.HTTPTokenEnv)
	}

	// Resources and security.
	if c.Resources.Requests.Cpu().IsZero() || c.Resources.Requests.Memory().IsZero() || c.Resources.Limits.Memory().IsZero() {
		t.Errorf("resources %+v: want cpu and memory requests and a memory limit", c.Resources)
	}
	psc, sc := pod.SecurityContext, c.SecurityContext
	if psc == nil || sc == nil {
		t.Fatal("want pod and container securityContexts")
	}
	if psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot || psc.RunAsUser == nil || *psc.RunAsUser != runtimeUID {
		t.Errorf("pod securityContext runAsNonRoot %s runAsUser %s; want true and %d", deref(psc.RunAsNonRoot), deref(psc.RunAsUser), runtimeUID)
	}
	if psc.FSGroup == nil || *psc.FSGroup != runtimeUID {
		t.Errorf("pod securityContext fsGroup %s; want %d so the state volume is writable", deref(psc.FSGroup), runtimeUID)
	}
	if sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
		t.Error("container securityContext: want readOnlyRootFilesystem")
	}
	if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
		t.Error("container securityContext: want allowPrivilegeEscalation false")
	}
	if sc.Capabilities == nil || !slices.Contains(sc.Capabilities.Drop, "ALL") {
		t.Error("container securityContext: want capabilities drop ALL")
	}
	// SIGTERM flushes the outbox for at most 5 s.
	if g := pod.TerminationGracePeriodSeconds; g == nil || *g < 10 {
		t.Errorf("terminationGracePeriodSeconds %s; want at least 10 (the outbox flush takes up to 5s)", deref(g))
	}
}

// TestServiceAndPDB checks the headless Service and the disruption budget
// select the StatefulSet's pod.
func TestServiceAndPDB(t *testing.T) {
	m := loadManifests(t)
	podLabels := labels.Set(m.statefulSet.Spec.Template.Labels)
	svc := m.service
	if svc.Spec.ClusterIP != corev1.ClusterIPNone {
		t.Errorf("Service clusterIP %q; want None (headless)", svc.Spec.ClusterIP)
	}
	if len(svc.Spec.Selector) == 0 || !labels.SelectorFromSet(svc.Spec.Selector).Matches(podLabels) {
		t.Errorf("Service selector %v does not select the pod labels %v", svc.Spec.Selector, podLabels)
	}
	c := m.statefulSet.Spec.Template.Spec.Containers[0]
	for _, p := range svc.Spec.Ports {
		found := false
		for _, cp := range c.Ports {
			if p.TargetPort == intstr.FromString(cp.Name) || p.TargetPort.IntValue() == int(cp.ContainerPort) {
				found = true
			}
		}
		if !found {
			t.Errorf("Service port %q targets %s, which the container does not expose", p.Name, p.TargetPort.String())
		}
	}
	sel, err := metav1.LabelSelectorAsSelector(m.pdb.Spec.Selector)
	if err != nil {
		t.Fatal(err)
	}
	if !sel.Matches(podLabels) {
		t.Errorf("PodDisruptionBudget selector %v does not select the pod labels %v", m.pdb.Spec.Selector, podLabels)
	}
	if (m.pdb.Spec.MinAvailable == nil) == (m.pdb.Spec.MaxUnavailable == nil) {
		t.Error("PodDisruptionBudget: set exactly one of minAvailable and maxUnavailable")
	}
}

// TestManifestsMatchImage checks the pod runs as the image's user and
// mounts the state where the image declares its volume.
func TestManifestsMatchImage(t *testing.T) {
	m := loadManifests(t)
	df := parseDockerfile(t)
	if uid := m.statefulSet.Spec.Template.Spec.SecurityContext.RunAsUser; uid == nil || strconv.FormatInt(*uid, 10) != df.userID {
		t.Errorf("runAsUser %s; the image's USER is %s", deref(uid), df.userID)
	}
	if !slices.Contains(df.volumes, stateMount) {
		t.Errorf("the image's VOLUME %v does not hold %s", df.volumes, stateMount)
	}
}

// TestManifestFilesAreYAML guards the glob above: every file of deploy/k8s
// is a .yaml file the tests read.
func TestManifestFilesAreYAML(t *testing.T) {
	entries, err := os.ReadDir("k8s")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.IsDir() || filepath.Ext(e.Name()) != ".yaml" {
			t.Errorf("deploy/k8s/%s: the tests read only *.yaml files", e.Name())
		}
	}
}

// deref formats an optional manifest field: its value, or "unset".
func deref[T any](p *T) string {
	if p == nil {
		return "unset"
	}
	return fmt.Sprint(*p)
}
