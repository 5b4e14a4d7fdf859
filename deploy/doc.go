// Package deploy holds jmlwatch's deployment files and the offline tests
// that validate them; it has no Go API.
//
// The files (docs/DEPLOY.md explains each):
//
//   - Dockerfile, Dockerfile.dockerignore: the image, a static
//     CGO_ENABLED=0 binary on distroless, non-root, a state volume.
//   - compose.yaml with compose/ (config and policy): Apache Kafka in
//     KRaft mode, jmlwatch, Prometheus and Grafana on a laptop.
//   - k8s/: a one-replica StatefulSet with a volume claim for the state, a
//     headless Service, the ConfigMap with config.yaml and policy.yaml, a
//     PodDisruptionBudget and a kustomization.
//   - prometheus/: the scrape config for compose, the alerting rules and
//     their promtool unit tests.
//   - grafana/: the dashboard and its provisioning files.
//
// The tests (package deploy_test) need no Docker engine and no network:
// they decode every Kubernetes manifest strictly into k8s.io/api types,
// parse every PromQL expression of the rules and the dashboard with the
// Prometheus parser and check that each jmlwatch_ metric they name is one
// the code registers, load the shipped configs and policies with
// jmlwatch's own strict loaders, parse the Dockerfile with BuildKit's
// parser, build the binary with CGO_ENABLED=0 and check that the ELF file
// has no interpreter, and cross-check ports, paths, volumes, topics and
// names between the files. promtool (Debian package prometheus) and
// docker-compose run when installed; JMLWATCH_REQUIRE_PROMTOOL=1 and
// JMLWATCH_REQUIRE_DOCKER_COMPOSE=1 make their absence a failure (.ci/run
// sets both).
package deploy
