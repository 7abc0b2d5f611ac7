"""Who may talk to whom, computed from the rendered NetworkPolicies the way Kubernetes applies them.

A connection is allowed when the policies selecting the source allow it as egress (or none selects the source
for egress) and those selecting the destination allow it as ingress (likewise). The pods are the pod templates
of the rendered workloads plus the pods the operators make (PostgreSQL, RabbitMQ), with the labels those
operators give them. An ipBlock is taken to match any address, so a "denied" here is denied for certain.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from deploy_manifests import OVERLAYS, SERVICES, Manifest, Rendered, pod_templates

NAMESPACE = "cabinet"
#: who calls a service's HTTP API besides the gateway (docs/operations.md, "Network")
# who calls whom over HTTP besides the gateway (everything else travels on the bus)
HTTP_CALLERS = {"documents": {"metering", "billing", "signature", "notify"}, "identity": {"signature", "billing"}}


@dataclass(frozen=True)
class Pod:
    name: str
    labels: dict[str, str]
    namespace: str = NAMESPACE
    namespace_labels: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.namespace_labels.setdefault("kubernetes.io/metadata.name", self.namespace)


def outside(namespace: str, **labels: str) -> Pod:
    return Pod(f"{namespace}/{labels}", labels, namespace)


class Network:
    def __init__(self, manifests: Rendered) -> None:
        self.policies = [p for p in manifests.of_kind("NetworkPolicy")]
        self.pods: dict[str, Pod] = {}
        for workload, _ in pod_templates(manifests.all):
            self.pods[workload["metadata"]["name"]] = Pod(
                workload["metadata"]["name"], workload["spec"]["template"]["metadata"]["labels"])
        for cluster in manifests.of_kind("Cluster"):
            name = cluster["metadata"]["name"]
            self.pods[name] = Pod(name, {"cnpg.io/cluster": name, "cnpg.io/podRole": "instance"})
        self.pods["rabbitmq"] = Pod("rabbitmq", {
            "app.kubernetes.io/name": "rabbitmq", "app.kubernetes.io/component": "rabbitmq",
            "app.kubernetes.io/part-of": "rabbitmq"})

    def pod(self, name: str) -> Pod:
        return self.pods[name]

    def migration_job(self, service: str) -> Pod:
        [name] = [n for n in self.pods if n.startswith(f"migrate-{service}-")]
        return self.pods[name]

    def allows(self, source: Pod, destination: Pod, port: int, protocol: str = "TCP") -> bool:
        return self._side(source, destination, port, protocol, "Egress") and self._side(
            destination, source, port, protocol, "Ingress")

    def _side(self, subject: Pod, peer: Pod, port: int, protocol: str, direction: str) -> bool:
        if subject.namespace != NAMESPACE:
            return True  # policies of other namespaces are not ours to check
        selecting = [p for p in self.policies if direction in p["spec"]["policyTypes"]
                     and _selects(p["spec"]["podSelector"], subject.labels)]
        if not selecting:
            return True
        key, peers_key = ("egress", "to") if direction == "Egress" else ("ingress", "from")
        for policy in selecting:
            for rule in policy["spec"].get(key) or []:
                if _ports_match(rule.get("ports"), port, protocol) and _peers_match(rule.get(peers_key), peer):
                    return True
        return False


def _selects(selector: Manifest, labels: dict[str, str]) -> bool:
    if any(labels.get(k) != v for k, v in (selector.get("matchLabels") or {}).items()):
        return False
    for expression in selector.get("matchExpressions") or []:
        value, operator = labels.get(expression["key"]), expression["operator"]
        if operator == "In" and value not in expression["values"]:
            return False
        if operator == "NotIn" and value in expression["values"]:
            return False
        if operator == "Exists" and value is None:
            return False
        if operator == "DoesNotExist" and value is not None:
            return False
    return True


def _ports_match(ports: list[Manifest] | None, port: int, protocol: str) -> bool:
    return not ports or any(p.get("port") in (None, port) and p.get("protocol", "TCP") == protocol for p in ports)


def _peers_match(peers: list[Manifest] | None, pod: Pod) -> bool:
    if not peers:
        return True
    for peer in peers:
        if "ipBlock" in peer:
            return True
        if "namespaceSelector" in peer:
            if not _selects(peer["namespaceSelector"], pod.namespace_labels):
                continue
        elif pod.namespace != NAMESPACE:
            continue
        if _selects(peer.get("podSelector") or {}, pod.labels):
            return True
    return False


@pytest.fixture(scope="module", params=OVERLAYS)
def network(request: pytest.FixtureRequest, rendered: dict[str, Rendered]) -> Network:
    return Network(rendered[request.param])


def test_nothing_is_allowed_that_no_policy_names(network: Network) -> None:
    [deny] = [p for p in network.policies if p["metadata"]["name"] == "default-deny"]
    assert deny["spec"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"], "ingress": [], "egress": []}
    # e.g. the broker cannot open connections to a service, nor a service to the gateway
    assert not network.allows(network.pod("rabbitmq"), network.pod("cabinet-identity"), 8080)
    assert not network.allows(network.pod("cabinet-billing"), network.pod("cabinet-gateway"), 8080)


def test_services_accept_http_only_from_the_gateway_and_their_callers(network: Network) -> None:
    for source in (*SERVICES, "gateway"):
        for destination in (*SERVICES, "gateway"):
            expected = destination in SERVICES and (
                source == "gateway" or source in HTTP_CALLERS.get(destination, set()))
            allowed = network.allows(network.pod(f"cabinet-{source}"), network.pod(f"cabinet-{destination}"), 8080)
            assert allowed == expected, f"{source} -> {destination}: {allowed}"


def test_only_the_gateway_is_reachable_from_the_ingress_controller(network: Network) -> None:
    controller = outside("ingress-nginx", **{"app.kubernetes.io/name": "ingress-nginx"})
    assert network.allows(controller, network.pod("cabinet-gateway"), 8080)
    # not even to the gateway's metrics
    assert not network.allows(controller, network.pod("cabinet-gateway"), 9090)
    for service in SERVICES:
        assert not network.allows(controller, network.pod(f"cabinet-{service}"), 8080)
    assert not network.allows(controller, network.pod("rabbitmq"), 5672)
    assert not network.allows(controller, network.pod("identity-db"), 5432)


def test_each_service_and_its_migration_reach_their_own_database_only(network: Network) -> None:
    for service in SERVICES:
        for source in (network.pod(f"cabinet-{service}"), network.migration_job(service)):
            for owner in SERVICES:
                allowed = network.allows(source, network.pod(f"{owner}-db"), 5432)
                assert allowed == (owner == service), f"{source.name} -> {owner}-db"
    assert not network.allows(network.pod("cabinet-gateway"), network.pod("identity-db"), 5432)


def test_the_broker_serves_the_services_but_not_the_gateway(network: Network) -> None:
    for service in SERVICES:
        assert network.allows(network.pod(f"cabinet-{service}"), network.pod("rabbitmq"), 5672)
    assert not network.allows(network.pod("cabinet-gateway"), network.pod("rabbitmq"), 5672)
    assert not network.allows(network.pod("cabinet-billing"), network.pod("rabbitmq"), 15672)


def test_object_storage_serves_the_documents_service_and_its_provisioning_only(network: Network) -> None:
    minio = network.pod("minio")
    assert network.allows(network.pod("cabinet-documents"), minio, 9000)
    [provisioning] = [p for n, p in network.pods.items() if n.startswith("provision-storage-")]
    assert network.allows(provisioning, minio, 9000)
    for other in ("identity", "metering", "billing", "signature", "notify", "gateway"):
        assert not network.allows(network.pod(f"cabinet-{other}"), minio, 9000)


def test_only_notify_sends_mail(network: Network) -> None:
    relay = outside("mail", role="relay")
    assert network.allows(network.pod("cabinet-notify"), relay, 587)
    for other in ("identity", "billing", "documents", "gateway"):
        assert not network.allows(network.pod(f"cabinet-{other}"), relay, 587)


def test_monitoring_scrapes_every_process_and_every_pod_resolves_names(network: Network) -> None:
    prometheus = outside("monitoring", **{"app.kubernetes.io/name": "prometheus"})
    dns = outside("kube-system", **{"k8s-app": "kube-dns"})
    for process in (*SERVICES, "gateway"):
        pod = network.pod(f"cabinet-{process}")
        assert network.allows(prometheus, pod, 9090)
        assert not network.allows(prometheus, pod, 8080), "Prometheus needs the metrics port only"
        assert network.allows(pod, dns, 53, "UDP")
    assert network.allows(prometheus, network.pod("rabbitmq"), 15692)
    assert network.allows(prometheus, network.pod("billing-db"), 9187)
