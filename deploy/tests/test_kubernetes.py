"""The rendered Kubernetes manifests: valid for the API server, hardened, and wired to each other correctly."""

from __future__ import annotations

import ipaddress
import re

import kubernetes_validate
import pytest
from deploy_manifests import (
    OPERATIONS_DOC,
    OVERLAYS,
    PHASES,
    PROCESSES,
    SERVICES,
    Manifest,
    Rendered,
    pod_templates,
)

from gateway.body_limits import FILE_UPLOADS

#: the oldest Kubernetes the manifests are for (docs/operations.md, "Prerequisites")
KUBERNETES_VERSION = "1.31.0"
#: the one directory a container may write to (an emptyDir; the root filesystem is read-only)
WRITABLE_DIRECTORY = "/tmp"  # noqa: S108 - a mount path in the manifests, not a file this test makes
#: custom resources of the operators; kubernetes-validate has no schemas for them (they were checked against
#: the operators' CRDs when written)
OPERATOR_KINDS = {
    "Cluster", "RabbitmqCluster", "Vhost", "User", "Permission", "TopicPermission", "Exchange", "Queue", "Binding",
    "PodMonitor", "PrometheusRule",
}


@pytest.mark.parametrize("overlay", OVERLAYS)
@pytest.mark.parametrize("phase", PHASES)
def test_every_manifest_is_valid_for_the_kubernetes_api(rendered: dict[str, Rendered], overlay: str,
                                                         phase: str) -> None:
    without_schema = set()
    for manifest in rendered[overlay].phases[phase]:
        try:
            kubernetes_validate.validate(manifest, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.SchemaNotFoundError:
            without_schema.add(manifest["kind"])
        except kubernetes_validate.ValidationError as error:
            pytest.fail(f"{overlay}/{phase} {manifest['kind']} {manifest['metadata']['name']}: {error}")
    # a misspelt kind would otherwise pass as "no schema"
    assert without_schema <= OPERATOR_KINDS


def test_strict_validation_rejects_a_misspelt_field() -> None:
    service = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "x"},
               "spec": {"ports": [{"port": 80, "targetPrt": 8080}]}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(service, KUBERNETES_VERSION, strict=True)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_process_has_its_deployment_service_autoscaler_and_disruption_budget(
        rendered: dict[str, Rendered], overlay: str) -> None:
    manifests = rendered[overlay]
    for process in PROCESSES:
        name = f"cabinet-{process}"
        deployment = manifests.one("Deployment", name)
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert labels["app.kubernetes.io/name"] == process
        assert labels["app.kubernetes.io/component"] == "api"
        assert "replicas" not in deployment["spec"], "the autoscaler owns the replica count"
        service = manifests.one("Service", name)
        assert service["spec"]["selector"] == deployment["spec"]["selector"]["matchLabels"]
        assert service["spec"]["ports"] == [{"name": "http", "port": 8080, "targetPort": "http", "protocol": "TCP"}]
        autoscaler = manifests.one("HorizontalPodAutoscaler", name)
        assert autoscaler["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": name}
        assert [m["resource"]["name"] for m in autoscaler["spec"]["metrics"]] == ["cpu"]
        budget = manifests.one("PodDisruptionBudget", name)
        assert budget["spec"]["selector"] == deployment["spec"]["selector"]


def test_local_runs_one_replica_and_production_three_to_ten_spread_over_nodes(
        rendered: dict[str, Rendered]) -> None:
    for autoscaler in rendered["local"].of_kind("HorizontalPodAutoscaler"):
        assert (autoscaler["spec"]["minReplicas"], autoscaler["spec"]["maxReplicas"]) == (1, 1)
    for autoscaler in rendered["production"].of_kind("HorizontalPodAutoscaler"):
        assert (autoscaler["spec"]["minReplicas"], autoscaler["spec"]["maxReplicas"]) == (3, 10)
    for deployment in rendered["production"].of_kind("Deployment"):
        pod = deployment["spec"]["template"]["spec"]
        term = pod["affinity"]["podAntiAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"][0]
        assert term["podAffinityTerm"]["topologyKey"] == "kubernetes.io/hostname"
        # the selector is narrowed to the pod's own process by its name label
        assert term["podAffinityTerm"]["matchLabelKeys"] == ["app.kubernetes.io/name"]
        assert pod["topologySpreadConstraints"][0]["topologyKey"] == "topology.kubernetes.io/zone"
    assert rendered["production"].one("RabbitmqCluster", "rabbitmq")["spec"]["replicas"] == 3
    assert rendered["local"].one("RabbitmqCluster", "rabbitmq")["spec"]["replicas"] == 1
    for cluster in rendered["production"].of_kind("Cluster"):
        assert cluster["spec"]["instances"] == 3


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_container_runs_unprivileged_on_a_read_only_root(rendered: dict[str, Rendered], overlay: str) -> None:
    for workload, pod in pod_templates(rendered[overlay].all):
        where = f"{overlay} {workload['kind']} {workload['metadata']['name']}"
        assert pod["automountServiceAccountToken"] is False, where
        assert pod["securityContext"]["runAsNonRoot"] is True, where
        assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}, where
        tmp_volumes = {v["name"] for v in pod["volumes"] if "emptyDir" in v}
        for container in pod["containers"]:
            security = container["securityContext"]
            assert security["runAsNonRoot"] is True, where
            assert security["runAsUser"] >= 10000, where
            assert security["readOnlyRootFilesystem"] is True, where
            assert security["allowPrivilegeEscalation"] is False, where
            assert security["capabilities"] == {"drop": ["ALL"]}, where
            assert security["seccompProfile"] == {"type": "RuntimeDefault"}, where
            assert {"cpu", "memory"} <= set(container["resources"]["requests"]), where
            assert {"cpu", "memory"} <= set(container["resources"]["limits"]), where
            tmp = [m for m in container["volumeMounts"] if m["mountPath"] == WRITABLE_DIRECTORY]
            assert tmp and tmp[0]["name"] in tmp_volumes, where


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_processes_are_probed_on_their_health_endpoints(rendered: dict[str, Rendered], overlay: str) -> None:
    for process in PROCESSES:
        container = _container(rendered[overlay].one("Deployment", f"cabinet-{process}"))
        assert container["ports"] == [{"name": "http", "containerPort": 8080, "protocol": "TCP"},
                                      {"name": "metrics", "containerPort": 9090, "protocol": "TCP"}]
        assert container["livenessProbe"]["httpGet"] == {"path": "/health/live", "port": "http"}
        assert container["startupProbe"]["httpGet"] == {"path": "/health/live", "port": "http"}
        assert container["readinessProbe"]["httpGet"] == {"path": "/health/ready", "port": "http"}


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_prometheus_scrapes_the_processes_on_their_metrics_port(rendered: dict[str, Rendered], overlay: str) -> None:
    monitor = rendered[overlay].one("PodMonitor", "cabinet")
    assert [endpoint["port"] for endpoint in monitor["spec"]["podMetricsEndpoints"]] == ["metrics"]
    for process in PROCESSES:
        deployment = rendered[overlay].one("Deployment", f"cabinet-{process}")
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert monitor["spec"]["selector"]["matchLabels"].items() <= labels.items(), process
        assert "metrics" in {port["name"] for port in _container(deployment)["ports"]}, process


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_processes_read_the_common_settings_and_never_migrate_on_start(
        rendered: dict[str, Rendered], overlay: str) -> None:
    manifests = rendered[overlay]
    config = [c for c in manifests.of_kind("ConfigMap") if c["metadata"]["name"].startswith("cabinet-config-")]
    assert len(config) == 1
    settings = config[0]["data"]
    assert settings["CABINET_MIGRATE_ON_START"] == "false"
    # the metrics are served on the container port `metrics`, not on `http`, where the Services lead
    assert settings["CABINET_METRICS_PORT"] == "9090"
    for service in SERVICES:
        assert settings[f"CABINET_{service.upper()}_URL"] == f"http://cabinet-{service}:8080"
    for process in PROCESSES:
        container = _container(manifests.one("Deployment", f"cabinet-{process}"))
        assert {"configMapRef": {"name": config[0]["metadata"]["name"]}} in container["envFrom"]
        assert _env(container)["CABINET_SERVICE_TOKEN_SECRET"]["valueFrom"] == {
            "secretKeyRef": {"name": "cabinet-service-token", "key": "secret"}}


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_billing_names_the_seller_of_its_tax_invoices(rendered: dict[str, Rendered], overlay: str) -> None:
    manifests = rendered[overlay]
    container = _container(manifests.one("Deployment", "cabinet-billing"))
    names = [ref["configMapRef"]["name"] for ref in container["envFrom"] if "configMapRef" in ref]
    settings = [c["data"] for c in manifests.of_kind("ConfigMap") if c["metadata"]["name"] in names]
    seller = {key: value for data in settings for key, value in data.items() if key.startswith("CABINET_SELLER_")}
    # the shapes the tax invoice's completeness check asks for (billing.domain.tax_invoices)
    assert re.fullmatch(r"\d{12}", seller["CABINET_SELLER_IPN"])
    assert re.fullmatch(r"\d{4}", seller["CABINET_SELLER_TAX_OFFICE"])
    assert seller["CABINET_SELLER_COMPILER_NAME"].strip()
    assert re.fullmatch(r"\d{10}", seller["CABINET_SELLER_COMPILER_TAX_NUMBER"])


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_each_service_uses_its_own_database_and_broker_user(rendered: dict[str, Rendered], overlay: str) -> None:
    manifests = rendered[overlay]
    for service in SERVICES:
        cluster = manifests.one("Cluster", f"{service}-db")
        assert cluster["spec"]["bootstrap"]["initdb"] == {"database": f"cabinet_{service}", "owner": service}
        user = manifests.one("User", service)
        assert user["spec"]["importCredentialsSecret"] == {"name": f"{service}-amqp"}
        permission = manifests.one("Permission", service)
        assert permission["spec"]["userReference"] == {"name": service}
        assert permission["spec"]["vhost"] == "cabinet"

        api = _env(_container(manifests.one("Deployment", f"cabinet-{service}")))
        migration = _env(_container(_migration_job(manifests, service)))
        for env in (api, migration):
            assert _secret_of(env["DB_USER"]) == _secret_of(env["DB_PASSWORD"]) == f"{service}-db-app"
            assert env["CABINET_POSTGRES_URL"]["value"] == (
                f"postgresql+asyncpg://$(DB_USER):$(DB_PASSWORD)@{service}-db-rw:5432")
            assert env["CABINET_DATABASE_NAME"]["value"] == f"cabinet_{service}"
        assert _secret_of(api["AMQP_USER"]) == _secret_of(api["AMQP_PASSWORD"]) == f"{service}-amqp"
        assert api["CABINET_AMQP_URL"]["value"] == "amqp://$(AMQP_USER):$(AMQP_PASSWORD)@rabbitmq:5672/cabinet"
        # a migration needs no broker
        assert "CABINET_AMQP_URL" not in migration
    gateway = _env(_container(manifests.one("Deployment", "cabinet-gateway")))
    assert not {"CABINET_POSTGRES_URL", "CABINET_AMQP_URL"} & set(gateway)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_environment_references_name_variables_defined_before_them(
        rendered: dict[str, Rendered], overlay: str) -> None:
    """Kubernetes expands `$(NAME)` only from variables earlier in the list; otherwise the text stays as it is."""
    for workload, pod in pod_templates(rendered[overlay].all):
        for container in pod["containers"]:
            defined: set[str] = set()
            for variable in container.get("env", []):
                for reference in re.findall(r"\$\((\w+)\)", variable.get("value", "")):
                    assert reference in defined, f"{workload['metadata']['name']}: {variable['name']} uses {reference}"
                defined.add(variable["name"])


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_migration_jobs_run_this_release_of_each_service(rendered: dict[str, Rendered], overlay: str) -> None:
    manifests = rendered[overlay]
    service_images = {_container(d)["image"] for d in manifests.phases["services"] if d["kind"] == "Deployment"}
    for service in SERVICES:
        job = _migration_job(manifests, service)
        container = _container(job)
        assert container["command"] == ["python", "-m", "shared.migrations"]
        assert container["args"] == [service]
        # the same build as the Deployment that rolls out after it
        assert container["image"] in service_images
        release = container["image"].rsplit(":", 1)[1]
        assert job["metadata"]["name"] == f"migrate-{service}-{release}"
        assert job["spec"]["template"]["spec"]["restartPolicy"] == "Never"
    # nothing but Jobs (and what they mount) in the phase that must finish before the roll-out
    assert {m["kind"] for m in manifests.phases["migrations"]} == {"Job", "ServiceAccount", "ConfigMap"}


def test_production_images_come_from_the_registry_at_one_release(rendered: dict[str, Rendered]) -> None:
    images = {_container(w)["image"] for w, _ in pod_templates(rendered["production"].all)
              if "cabinet" in _container(w)["image"]}
    assert {image.rsplit(":", 1)[0] for image in images} == {
        f"registry.example.com/cabinet/{process}" for process in PROCESSES}
    assert len({image.rsplit(":", 1)[1] for image in images}) == 1


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_only_the_gateway_is_published_and_only_over_tls(rendered: dict[str, Rendered], overlay: str) -> None:
    ingresses = rendered[overlay].of_kind("Ingress")
    assert len(ingresses) == 1
    spec = ingresses[0]["spec"]
    backends = {path["backend"]["service"]["name"] for rule in spec["rules"] for path in rule["http"]["paths"]}
    assert backends == {"cabinet-gateway"}
    assert {rule["host"] for rule in spec["rules"]} <= {host for tls in spec["tls"] for host in tls["hosts"]}
    assert ingresses[0]["metadata"]["annotations"]["nginx.ingress.kubernetes.io/force-ssl-redirect"] == "true"
    assert all(s["spec"]["type"] == "ClusterIP" for s in rendered[overlay].of_kind("Service")
               if "type" in s["spec"])


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_ingress_streams_bodies_to_the_gateway_and_refuses_what_no_form_takes(
        rendered: dict[str, Rendered], overlay: str) -> None:
    annotations = rendered[overlay].one("Ingress", "gateway")["metadata"]["annotations"]
    assert annotations["nginx.ingress.kubernetes.io/proxy-request-buffering"] == "off"
    size = annotations["nginx.ingress.kubernetes.io/proxy-body-size"]
    assert re.fullmatch(r"\d+m", size)
    # what the gateway takes gets through: the gateway, not the controller, refuses in the visitor's language
    largest = max(upload.body_limit for upload in FILE_UPLOADS)
    assert int(size[:-1]) * 1024 * 1024 >= 2 * largest


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_gateway_takes_the_client_address_only_from_the_pod_network(
        rendered: dict[str, Rendered], overlay: str) -> None:
    manifests = rendered[overlay]
    container = _container(manifests.one("Deployment", "cabinet-gateway"))
    names = {ref["configMapRef"]["name"] for ref in container["envFrom"] if "configMapRef" in ref}
    settings = {key: value for c in manifests.of_kind("ConfigMap") if c["metadata"]["name"] in names
                for key, value in c["data"].items()}
    networks = [ipaddress.ip_network(part.strip()) for part in settings["CABINET_TRUSTED_PROXIES"].split(",")]
    assert networks and all(network.is_private and network.prefixlen >= 8 for network in networks)
    # uvicorn's own reading of X-Forwarded-For is off in the images: nothing may turn it back on
    every_setting = [key for c in manifests.of_kind("ConfigMap") for key in c.get("data", {})]
    assert "FORWARDED_ALLOW_IPS" not in every_setting


def test_production_services_do_not_serve_their_api_docs(rendered: dict[str, Rendered]) -> None:
    for config in rendered["production"].of_kind("ConfigMap"):
        assert config.get("data", {}).get("CABINET_API_DOCS", "false") == "false", config["metadata"]["name"]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_no_secret_is_in_the_manifests_and_every_one_referenced_is_documented(
        rendered: dict[str, Rendered], overlay: str) -> None:
    manifests = rendered[overlay].all
    assert not [m for m in manifests if m["kind"] == "Secret"]
    documented = set(re.findall(r"`([a-z0-9-]+)`", OPERATIONS_DOC.read_text(encoding="utf-8")))
    referenced = set()
    for _, pod in pod_templates(manifests):
        for container in pod["containers"]:
            referenced |= {_secret_of(v) for v in container.get("env", []) if "secretKeyRef" in v.get("valueFrom", {})}
    referenced |= {i["spec"]["tls"][0]["secretName"] for i in rendered[overlay].of_kind("Ingress")}
    referenced |= {u["spec"]["importCredentialsSecret"]["name"] for u in rendered[overlay].of_kind("User")}
    # CloudNativePG writes <cluster>-app
    made_by_operators = {f"{service}-db-app" for service in SERVICES}
    assert referenced - made_by_operators <= documented
    assert "<service>-db-app" in OPERATIONS_DOC.read_text(encoding="utf-8")


def test_rabbitmq_cluster_makes_quorum_queues_the_default(rendered: dict[str, Rendered]) -> None:
    for overlay in OVERLAYS:
        broker = rendered[overlay].one("RabbitmqCluster", "rabbitmq")
        assert "default_queue_type = quorum" in broker["spec"]["rabbitmq"]["additionalConfig"]
        assert rendered[overlay].one("Vhost", "cabinet")["spec"]["defaultQueueType"] == "quorum"


def test_dashboards_are_provisioned_as_labelled_config_maps(rendered: dict[str, Rendered]) -> None:
    from deploy_manifests import K8S

    for overlay in OVERLAYS:
        maps = {c["metadata"]["name"]: c for c in rendered[overlay].of_kind("ConfigMap")
                if c["metadata"].get("labels", {}).get("grafana_dashboard") == "1"}
        files = sorted((K8S / "monitoring" / "dashboards").glob("*.json"))
        assert len(maps) == len(files) == 4
        for file in files:
            config_map = maps[f"grafana-dashboard-cabinet-{file.stem}"]
            assert config_map["data"] == {file.name: file.read_text(encoding="utf-8")}


def _container(workload: Manifest) -> Manifest:
    containers = workload["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1
    return containers[0]


def _env(container: Manifest) -> dict[str, Manifest]:
    return {variable["name"]: variable for variable in container.get("env", [])}


def _secret_of(variable: Manifest) -> str:
    return str(variable["valueFrom"]["secretKeyRef"]["name"])


def _migration_job(manifests: Rendered, service: str) -> Manifest:
    jobs = [j for j in manifests.of_kind("Job") if j["metadata"]["name"].startswith(f"migrate-{service}-")]
    assert len(jobs) == 1
    return jobs[0]
