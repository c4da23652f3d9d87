#!/usr/bin/env python3
"""Generates the sample recorded incidents in datasets/samples/ (kfix-incident/v1).

Usage: python3 tools/datasets/gen_samples.py [--out DIR] [--stats]

Deterministic: every random choice comes from a random.Random seeded per incident, and no
wall-clock time is read, so running it twice gives byte-identical files. Needs python3 and
PyYAML only. The format is described in ../../../shared/spec/incident-format.md; the alert
payload in ../../../shared/spec/datadog-webhook.md. See datasets/README.md for the stories.
"""
import argparse
import base64
import copy
import datetime as dt
import json
import math
import random
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
KI, MI, GI = 1024, 1024 ** 2, 1024 ** 3
STEP = 300          # metric interval (s)
POINTS = 2016       # 7 days of 5-minute points
SUB = 30            # simulation sub-step (s); buckets average the sub-steps
HASH_CHARS = "bcdfghjklmnpqrstvwxz2456789"   # k8s rand.SafeEncodeString alphabet

# -- time helpers ---------------------------------------------------------------------------


def epoch(s: str) -> int:
    return int(dt.datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ")
               .replace(tzinfo=dt.timezone.utc).timestamp())


def iso(t: float, ms: bool = False) -> str:
    d = dt.datetime.fromtimestamp(t, dt.timezone.utc)
    if ms:
        return d.strftime("%Y-%m-%dT%H:%M:%S.") + f"{int(round((t % 1) * 1000)) % 1000:03d}Z"
    return d.strftime("%Y-%m-%dT%H:%M:%SZ")


def hours(t: float, offset_h: float) -> float:
    """Local hour of day (fractional) at UTC offset."""
    return ((t / 3600.0) + offset_h) % 24.0


def weekday(t: float, offset_h: float) -> int:
    return dt.datetime.fromtimestamp(t + offset_h * 3600, dt.timezone.utc).weekday()


def gauss(x: float, mu: float, sd: float) -> float:
    # circular on the 24 h clock
    d = min(abs(x - mu), 24 - abs(x - mu))
    return math.exp(-0.5 * (d / sd) ** 2)


# -- ids ------------------------------------------------------------------------------------


class Ids:
    def __init__(self, rng: random.Random):
        self.rng = rng
        self.rv = rng.randint(40_000_000, 90_000_000)

    def uid(self) -> str:
        b = bytearray(self.rng.getrandbits(8) for _ in range(16))
        b[6] = (b[6] & 0x0F) | 0x40
        b[8] = (b[8] & 0x3F) | 0x80
        h = b.hex()
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"

    def hex(self, n: int) -> str:
        return "".join(self.rng.choice("0123456789abcdef") for _ in range(n))

    def suffix(self, n: int = 5) -> str:
        return "".join(self.rng.choice(HASH_CHARS) for _ in range(n))

    def digits(self, n: int) -> str:
        return str(self.rng.randint(1, 9)) + "".join(str(self.rng.randint(0, 9)) for _ in range(n - 1))

    def resource_version(self, step: int = 0) -> str:
        self.rv += step or self.rng.randint(3, 4000)
        return str(self.rv)

    def container_id(self) -> str:
        return "containerd://" + self.hex(64)

    def log_id(self) -> str:
        raw = bytes(self.rng.getrandbits(8) for _ in range(35))
        return "AQAAAZ" + base64.urlsafe_b64encode(raw).decode().rstrip("=")


# -- output ---------------------------------------------------------------------------------


class Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data):
        return True


def _str_presenter(dumper, data):
    if "\n" in data:
        return dumper.represent_scalar("tag:yaml.org,2002:str", data, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", data)


Dumper.add_representer(str, _str_presenter)


def dump_yaml(obj) -> str:
    return yaml.dump(obj, Dumper=Dumper, sort_keys=False, default_flow_style=False,
                     allow_unicode=True, width=4096)


def write(path: Path, text: str):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


# -- container lifecycle and metric simulation ---------------------------------------------


class Ctr:
    """One container of one pod: its instances, separated by OOM kills."""

    def __init__(self, name, image, kills=(), backoffs=(), first_start=None):
        self.name = name
        self.image = image
        self.kills = [epoch(k) if isinstance(k, str) else k for k in kills]
        self.backoffs = list(backoffs) or [10] * len(self.kills)
        self.first_start = first_start
        self.ids = []       # container ids per instance

    def instances(self, horizon):
        """[(start, end, killed)], end None = still running; a kill whose restart is after
        the horizon leaves the container waiting."""
        out = []
        start = self.first_start
        for k, b in zip(self.kills, self.backoffs):
            out.append((start, k, True))
            start = k + b
        if start <= horizon:
            out.append((start, None, False))
        return out

    def restart_count(self, t, horizon):
        return sum(1 for s, _, _ in self.instances(horizon)[1:] if s <= t)


class Pod:
    def __init__(self, name, node, ip, created, containers, deleted=None, rs=None):
        self.name = name
        self.node = node
        self.ip = ip
        self.created = epoch(created)
        self.deleted = epoch(deleted) if deleted else None
        self.containers = containers
        self.rs = rs
        for c in containers:
            if c.first_start is None:
                c.first_start = self.created + 9


def bucket_times(received):
    end = received - received % STEP
    return [end - (POINTS - 1 - i) * STEP for i in range(POINTS)]


def simulate_ws(pod, ctr, received, demand, *, start_ws, limit, tau_up, tau_down,
                warm_tau, ramp_s, clamp, noise_sd, rng):
    """Working set samples {t: bytes} at SUB resolution for one container.

    demand(t, age) is the memory the process would like to hold; the working set follows it
    with JVM/allocator-like lag, never exceeds clamp outside a kill, and in the ramp_s seconds
    before a scheduled OOM kill climbs to just under the limit (the kill itself)."""
    t0 = bucket_times(received)[0]
    out = {}
    ar = 0.0
    for start, end, killed in ctr.instances(received):
        stop = min(end if end is not None else received, received)
        if pod.deleted:
            stop = min(stop, pod.deleted)
        ws = start_ws
        t = start + (-start) % SUB
        target = limit - rng.uniform(1.5, 4.0) * MI
        while t < stop:
            age = t - start
            d = demand(t, age)
            tau = warm_tau if age < 600 else (tau_up if d > ws else tau_down)
            ws += (d - ws) * (1 - math.exp(-SUB / tau))
            ar = 0.92 * ar + rng.gauss(0, noise_sd)
            v = min(ws + ar, clamp - abs(rng.gauss(0, 2.5 * MI)))
            if killed and t > end - ramp_s:
                f = ((t - (end - ramp_s)) / ramp_s) ** 2
                v = v + (target - v) * f
            if t >= t0:
                out[t] = v
            t += SUB
    return out


def bucketize(samples, received):
    """Average SUB samples into STEP buckets (Datadog rollup); None when the container had no
    sample in the bucket."""
    acc = {}
    for t, v in samples.items():
        if t > received:
            continue
        b = t - t % STEP
        s, n = acc.get(b, (0.0, 0))
        acc[b] = (s + v, n + 1)
    return {b: s / n for b, (s, n) in acc.items()}


def alive(pod, t, received):
    return pod.created <= t + STEP and (pod.deleted is None or t < pod.deleted) and t <= received


def series(metric, tags, unit, points):
    return {"metric": metric, "tags": tags, "unit": unit, "interval": STEP,
            "points": [[t, int(round(v))] for t, v in points]}


def container_series(pod, ctr, received, base_tags, ws_b, *, limit, request, rss_fn, usage_fn,
                     cpu_fn, rng, oom_metric=True):
    """The seven kubelet metrics (+ last_state.terminated for OOM-killed containers)."""
    tags = base_tags + [f"pod_name:{pod.name}", f"kube_container_name:{ctr.name}"]
    times = [t for t in bucket_times(received) if alive(pod, t, received)]
    run = [(t, ws_b[t]) for t in times if t in ws_b]
    out = [
        series("kubernetes.memory.working_set", tags, "byte", run),
        series("kubernetes.memory.usage", tags, "byte", [(t, usage_fn(t, v)) for t, v in run]),
        series("kubernetes.memory.rss", tags, "byte", [(t, rss_fn(t, v)) for t, v in run]),
        series("kubernetes.memory.limits", tags, "byte", [(t, limit) for t in times]),
        series("kubernetes.memory.requests", tags, "byte", [(t, request) for t in times]),
        series("kubernetes.cpu.usage.total", tags, "nanocore",
               [(t, cpu_fn(t, v)) for t, v in run]),
        series("kubernetes.containers.restarts", tags, None,
               [(t, ctr.restart_count(min(t + STEP - 1, received), received)) for t in times]),
    ]
    if oom_metric and ctr.kills:
        first = ctr.kills[0] + ctr.backoffs[0]
        pts = [(t, 1) for t in times if t + STEP > first]
        if pts:
            out.append(series("kubernetes.containers.last_state.terminated",
                              tags + ["reason:oomkilled"], None, pts))
    return out


def write_metrics(path: Path, all_series):
    lines = [json.dumps(s, separators=(",", ":")) for s in all_series]
    write(path, '{"series": [\n' + ",\n".join(lines) + "\n]}\n")


def pct(values, p):
    v = sorted(values)
    return v[min(len(v) - 1, int(p / 100.0 * len(v)))]


# -- Kubernetes object builders -------------------------------------------------------------


def namespace_obj(ids, name, created, labels):
    labels = dict(labels)
    labels["kubernetes.io/metadata.name"] = name
    return {
        "apiVersion": "v1", "kind": "Namespace",
        "metadata": {"name": name, "uid": ids.uid(), "resourceVersion": ids.resource_version(),
                     "creationTimestamp": created, "labels": labels,
                     "annotations": {}},
        "spec": {"finalizers": ["kubernetes"]},
        "status": {"phase": "Active"},
    }


def node_obj(ids, name, *, created, ip, zone, region, itype, cpu, mem_gi, ami, kubelet, pool,
             heartbeat):
    cap_mem_ki = int(mem_gi * GI / KI * 0.985)
    alloc_mem_ki = cap_mem_ki - 1_452_000 if mem_gi <= 32 else cap_mem_ki - 2_600_000
    alloc_cpu = f"{cpu * 1000 - 90 - (cpu // 4) * 10}m"
    instance = "i-0" + ids.hex(16)
    cond = []
    for typ, reason, msg in [
        ("KernelDeadlock", "KernelHasNoDeadlock", "kernel has no deadlock"),
        ("ReadonlyFilesystem", "FilesystemIsNotReadOnly", "Filesystem is not read-only"),
        ("MemoryPressure", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
        ("DiskPressure", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
        ("PIDPressure", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
        ("Ready", "KubeletReady", "kubelet is posting ready status"),
    ]:
        cond.append({"type": typ, "status": "True" if typ == "Ready" else "False",
                     "lastHeartbeatTime": heartbeat, "lastTransitionTime": created,
                     "reason": reason, "message": msg})
    return {
        "apiVersion": "v1", "kind": "Node",
        "metadata": {
            "name": name, "uid": ids.uid(), "resourceVersion": ids.resource_version(),
            "creationTimestamp": created,
            "labels": {
                "beta.kubernetes.io/arch": "amd64", "beta.kubernetes.io/instance-type": itype,
                "beta.kubernetes.io/os": "linux", "eks.amazonaws.com/capacityType": "ON_DEMAND",
                "eks.amazonaws.com/nodegroup": pool, "eks.amazonaws.com/nodegroup-image": ami,
                "failure-domain.beta.kubernetes.io/region": region,
                "failure-domain.beta.kubernetes.io/zone": zone,
                "kubernetes.io/arch": "amd64", "kubernetes.io/hostname": name,
                "kubernetes.io/os": "linux", "node.kubernetes.io/instance-type": itype,
                "topology.kubernetes.io/region": region, "topology.kubernetes.io/zone": zone,
            },
            "annotations": {
                "alpha.kubernetes.io/provided-node-ip": ip,
                "node.alpha.kubernetes.io/ttl": "0",
                "volumes.kubernetes.io/controller-managed-attach-detach": "true",
            },
        },
        "spec": {"providerID": f"aws:///{zone}/{instance}"},
        "status": {
            "addresses": [{"type": "InternalIP", "address": ip},
                          {"type": "InternalDNS", "address": name},
                          {"type": "Hostname", "address": name}],
            "allocatable": {"cpu": alloc_cpu, "ephemeral-storage": "95491281146",
                            "hugepages-1Gi": "0", "hugepages-2Mi": "0",
                            "memory": f"{alloc_mem_ki}Ki", "pods": "58"},
            "capacity": {"cpu": str(cpu), "ephemeral-storage": "104845292Ki",
                         "hugepages-1Gi": "0", "hugepages-2Mi": "0",
                         "memory": f"{cap_mem_ki}Ki", "pods": "58"},
            "conditions": cond,
            "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
            "nodeInfo": {
                "architecture": "amd64", "bootID": ids.uid(),
                "containerRuntimeVersion": "containerd://1.7.22",
                "kernelVersion": "6.1.109-118.189.amzn2023.x86_64",
                "kubeProxyVersion": kubelet, "kubeletVersion": kubelet,
                "machineID": ids.hex(32), "operatingSystem": "linux",
                "osImage": "Amazon Linux 2023.5.20240916", "systemUUID": "ec2" + ids.hex(5) + "-" + ids.uid()[9:],
            },
        },
    }


def kube_api_volume(ids):
    name = "kube-api-access-" + ids.suffix(5)
    vol = {"name": name, "projected": {"defaultMode": 420, "sources": [
        {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
        {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
        {"downwardAPI": {"items": [{"path": "namespace", "fieldRef": {
            "apiVersion": "v1", "fieldPath": "metadata.namespace"}}]}},
    ]}}
    mount = {"name": name, "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount",
             "readOnly": True}
    return vol, mount


DEFAULT_TOLERATIONS = [
    {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute",
     "tolerationSeconds": 300},
    {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute",
     "tolerationSeconds": 300},
]


def api_container(c):
    """A template container as the API server returns it (defaults filled in)."""
    c = copy.deepcopy(c)
    c.setdefault("imagePullPolicy", "IfNotPresent")
    c.setdefault("terminationMessagePath", "/dev/termination-log")
    c.setdefault("terminationMessagePolicy", "File")
    for p in c.get("ports", []):
        p.setdefault("protocol", "TCP")
    for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
        if probe in c:
            pr = c[probe]
            if "httpGet" in pr:
                pr["httpGet"].setdefault("scheme", "HTTP")
            pr.setdefault("timeoutSeconds", 1)
            pr.setdefault("periodSeconds", 10)
            pr.setdefault("successThreshold", 1)
            pr.setdefault("failureThreshold", 3)
    order = ["name", "image", "command", "args", "ports", "env", "resources", "volumeMounts",
             "livenessProbe", "readinessProbe", "startupProbe", "lifecycle",
             "terminationMessagePath", "terminationMessagePolicy", "imagePullPolicy",
             "securityContext"]
    return {k: c[k] for k in sorted(c, key=lambda k: order.index(k) if k in order else 99)}


def api_pod_spec(spec):
    spec = copy.deepcopy(spec)
    spec["containers"] = [api_container(c) for c in spec["containers"]]
    spec.setdefault("restartPolicy", "Always")
    spec.setdefault("terminationGracePeriodSeconds", 30)
    spec.setdefault("dnsPolicy", "ClusterFirst")
    spec.setdefault("securityContext", {})
    spec.setdefault("schedulerName", "default-scheduler")
    return spec


def owner(kind, name, uid, api="apps/v1"):
    return {"apiVersion": api, "kind": kind, "name": name, "uid": uid,
            "controller": True, "blockOwnerDeletion": True}


def cond(typ, status, t, reason=None, message=None, probe=True):
    c = {"type": typ, "status": status}
    if probe:
        c["lastProbeTime"] = None
    c["lastTransitionTime"] = t
    if reason:
        c["reason"] = reason
    if message:
        c["message"] = message
    return c


def pod_obj(ids, pod, *, namespace, labels, annotations, owner_ref, template_spec, received,
            node_ip, extra_spec=None, hostname_subdomain=None, images=None):
    """A Pod as the API returns it, with status derived from its containers' instances."""
    vol, mount = kube_api_volume(ids)
    spec = api_pod_spec(template_spec)
    for c in spec["containers"]:
        c.setdefault("volumeMounts", []).append(dict(mount))
    spec.setdefault("volumes", []).append(vol)
    spec["nodeName"] = pod.node
    spec["enableServiceLinks"] = True
    spec["preemptionPolicy"] = "PreemptLowerPriority"
    spec["priority"] = 0
    spec["serviceAccount"] = spec.get("serviceAccountName", "default")
    spec.setdefault("serviceAccountName", "default")
    spec["tolerations"] = spec.get("tolerations", []) + copy.deepcopy(DEFAULT_TOLERATIONS)
    if hostname_subdomain:
        spec["hostname"], spec["subdomain"] = hostname_subdomain
    if extra_spec:
        spec.update(extra_spec)
    order = ["volumes", "containers", "restartPolicy", "terminationGracePeriodSeconds",
             "dnsPolicy", "serviceAccountName", "serviceAccount", "nodeName", "securityContext",
             "hostname", "subdomain", "affinity", "schedulerName", "tolerations", "priority",
             "enableServiceLinks", "preemptionPolicy", "topologySpreadConstraints"]
    spec = {k: spec[k] for k in sorted(spec, key=lambda k: order.index(k) if k in order else 50)}

    created = iso(pod.created)
    statuses = []
    ready_all = True
    last_change = pod.created + 25
    for c in pod.containers:
        inst = c.instances(received)
        if not c.ids:
            c.ids = [ids.container_id() for _ in range(len(c.kills) + 1)]
        running = inst[-1][1] is None and inst[-1][2] is False and len(inst) == len(c.kills) + 1
        st = {"containerID": c.ids[len(inst) - 1] if running else c.ids[len(c.kills) - 1],
              "image": c.image,
              "imageID": c.image.rsplit(":", 1)[0] + "@sha256:" + images[c.image],
              "lastState": {}, "name": c.name, "ready": False,
              "restartCount": c.restart_count(received, received), "started": False,
              "state": {}}
        if c.kills:
            k = len(c.kills) - 1
            start = c.first_start if k == 0 else c.kills[k - 1] + c.backoffs[k - 1]
            st["lastState"] = {"terminated": {
                "containerID": c.ids[k], "exitCode": 137, "finishedAt": iso(c.kills[k]),
                "reason": "OOMKilled", "startedAt": iso(start)}}
        if running:
            started_at = inst[-1][0]
            st["state"] = {"running": {"startedAt": iso(started_at)}}
            st["ready"] = received - started_at > 45
            st["started"] = True
            last_change = max(last_change, started_at + 35)
        else:
            st["containerID"] = c.ids[len(c.kills) - 1]
            backoff = c.backoffs[-1]
            m, s = divmod(backoff, 60)
            bo = (f"{m}m{s}s" if m and s else f"{m}m0s" if m else f"{s}s")
            st["state"] = {"waiting": {
                "reason": "CrashLoopBackOff",
                "message": f"back-off {bo} restarting failed container={c.name} "
                           f"pod={pod.name}_{namespace}({{UID}})"}}
            last_change = max(last_change, c.kills[-1])
        ready_all = ready_all and st["ready"]
        statuses.append(st)
    uid = ids.uid()
    for st in statuses:
        w = st["state"].get("waiting")
        if w:
            w["message"] = w["message"].replace("{UID}", uid)
    unready = [s["name"] for s in statuses if not s["ready"]]
    ready_t = iso(last_change)
    conditions = [
        cond("PodReadyToStartContainers", "True", iso(pod.created + 6)),
        cond("Initialized", "True", created),
        cond("Ready", "True" if ready_all else "False", ready_t,
             None if ready_all else "ContainersNotReady",
             None if ready_all else f"containers with unready status: [{' '.join(unready)}]"),
        cond("ContainersReady", "True" if ready_all else "False", ready_t,
             None if ready_all else "ContainersNotReady",
             None if ready_all else f"containers with unready status: [{' '.join(unready)}]"),
        cond("PodScheduled", "True", created),
    ]
    md = {"name": pod.name, "namespace": namespace, "uid": uid,
          "resourceVersion": ids.resource_version(), "creationTimestamp": created,
          "labels": labels, "annotations": annotations, "ownerReferences": [owner_ref]}
    if owner_ref["kind"] == "ReplicaSet":
        md = {"name": pod.name, "generateName": owner_ref["name"] + "-", **{
            k: v for k, v in md.items() if k != "name"}}
    return {
        "apiVersion": "v1", "kind": "Pod", "metadata": md, "spec": spec,
        "status": {
            "phase": "Running", "conditions": conditions, "hostIP": node_ip,
            "hostIPs": [{"ip": node_ip}], "podIP": pod.ip, "podIPs": [{"ip": pod.ip}],
            "startTime": created, "containerStatuses": statuses, "qosClass": "Burstable",
        },
    }


def event_obj(ids, *, namespace, involved, reason, message, etype, first, last, count,
              component="kubelet", host=None):
    first_ns = int(first * 1e9) + ids.rng.randint(0, 999_999_999)
    o = {
        "apiVersion": "v1", "kind": "Event",
        "metadata": {"name": f"{involved['name']}.{first_ns:x}", "namespace": namespace,
                     "uid": ids.uid(), "resourceVersion": ids.resource_version(),
                     "creationTimestamp": iso(first)},
        "involvedObject": involved,
        "reason": reason, "message": message,
        "source": {"component": component, **({"host": host} if host else {})},
        "firstTimestamp": iso(first), "lastTimestamp": iso(last), "count": count,
        "type": etype, "eventTime": None,
        "reportingComponent": component, "reportingInstance": host or "",
    }
    return o


def pod_ref(pod_obj_, container=None):
    r = {"kind": "Pod", "namespace": pod_obj_["metadata"]["namespace"],
         "name": pod_obj_["metadata"]["name"], "uid": pod_obj_["metadata"]["uid"],
         "apiVersion": "v1", "resourceVersion": pod_obj_["metadata"]["resourceVersion"]}
    if container:
        r["fieldPath"] = f"spec.containers{{{container}}}"
    return r


def container_events(ids, pod, pobj, ctr, namespace, received, *, ready_msgs=()):
    """kubelet events of the last hour (event TTL) for one container's restarts."""
    window = received - 3600
    ref = pod_ref(pobj, ctr.name)
    evs = []
    kills = [k for k in ctr.kills if k >= window]
    starts = [k + b for k, b in zip(ctr.kills, ctr.backoffs) if window <= k + b <= received]
    if kills:
        n = sum(max(1, b // 10) for k, b in zip(ctr.kills, ctr.backoffs) if k >= window)
        last_bo = min(received, max(min(k + b - 2, received) for k, b in zip(
            ctr.kills, ctr.backoffs) if k >= window))
        evs.append(event_obj(ids, namespace=namespace, involved=ref, reason="BackOff",
                             message=f"Back-off restarting failed container {ctr.name} in pod "
                                     f"{pod.name}_{namespace}({pobj['metadata']['uid']})",
                             etype="Warning", first=kills[0] + 1, last=last_bo, count=n,
                             host=pod.node))
    if starts:
        for reason, msg in [
            ("Pulled", f'Container image "{ctr.image}" already present on machine'),
            ("Created", f"Created container {ctr.name}"),
            ("Started", f"Started container {ctr.name}"),
        ]:
            off = {"Pulled": 0, "Created": 0, "Started": 1}[reason]
            evs.append(event_obj(ids, namespace=namespace, involved=ref, reason=reason,
                                 message=msg, etype="Normal", first=starts[0] + off,
                                 last=starts[-1] + off, count=len(starts), host=pod.node))
    for msg, first, last, count in ready_msgs:
        evs.append(event_obj(ids, namespace=namespace, involved=ref, reason="Unhealthy",
                             message=msg, etype="Warning", first=first, last=last,
                             count=count, host=pod.node))
    return evs


def oom_node_event(ids, node_obj_, kill, *, pid, comm, total_vm_kb, anon_kb, file_kb, shmem_kb,
                   uid, adj):
    name = node_obj_["metadata"]["name"]
    involved = {"kind": "Node", "name": name, "uid": name}
    msg = (f"Memory cgroup out of memory: Killed process {pid} ({comm}) "
           f"total-vm:{total_vm_kb}kB, anon-rss:{anon_kb}kB, file-rss:{file_kb}kB, "
           f"shmem-rss:{shmem_kb}kB, UID:{uid} pgtables:{ids.rng.randint(1400, 5200)}kB "
           f"oom_score_adj:{adj}")
    return event_obj(ids, namespace="default", involved=involved, reason="OOMKilling",
                     message=msg, etype="Warning", first=kill, last=kill, count=1,
                     component="kernel-monitor", host=name)


def quota_obj(ids, name, namespace, created, hard, used):
    return {"apiVersion": "v1", "kind": "ResourceQuota",
            "metadata": {"name": name, "namespace": namespace, "uid": ids.uid(),
                         "resourceVersion": ids.resource_version(), "creationTimestamp": created,
                         "labels": {"app.kubernetes.io/managed-by": "platform-baseline"},
                         "annotations": {}},
            "spec": {"hard": hard},
            "status": {"hard": dict(hard), "used": used}}


def limitrange_obj(ids, name, namespace, created, limits):
    return {"apiVersion": "v1", "kind": "LimitRange",
            "metadata": {"name": name, "namespace": namespace, "uid": ids.uid(),
                         "resourceVersion": ids.resource_version(), "creationTimestamp": created,
                         "labels": {"app.kubernetes.io/managed-by": "platform-baseline"},
                         "annotations": {}},
            "spec": {"limits": limits}}


def fmt_mi(b):
    """Quantity the API server would print for a byte count (canonical binary form)."""
    if b % GI == 0:
        return f"{b // GI}Gi"
    if b % MI == 0:
        return f"{b // MI}Mi"
    return f"{b // KI}Ki"


# -- alert ----------------------------------------------------------------------------------


def alert_payload(ids, *, received, title, body, priority, status, metric, query, scope_tags,
                  monitor_tags, snapshot, org):
    scope = ",".join(scope_tags)
    tags = sorted(set(scope_tags) | set(monitor_tags) | {"monitor"})

    def tag(key):
        for t in tags:
            if t.startswith(key + ":"):
                return t.split(":", 1)[1]
        return ""

    event_id = ids.digits(19)
    date_ms = str(received * 1000)
    return {
        "kfix_payload": "v1",
        "id": event_id,
        "event_type": "query_alert_monitor",
        "title": title,
        "body": body,
        "date": date_ms,
        "last_updated": date_ms,
        "alert_id": ids.digits(9),
        "alert_cycle_key": ids.digits(19),
        "aggreg_key": ids.hex(32),
        "alert_transition": "Triggered",
        "alert_type": "error",
        "alert_priority": priority,
        "alert_title": title,
        "alert_status": status,
        "alert_metric": metric,
        "alert_query": query,
        "alert_scope": scope,
        "tags": ",".join(tags),
        "kube_cluster_name": tag("kube_cluster_name"),
        "kube_namespace": tag("kube_namespace"),
        "kube_deployment": tag("kube_deployment"),
        "kube_stateful_set": tag("kube_stateful_set"),
        "kube_daemon_set": tag("kube_daemon_set"),
        "kube_container_name": tag("kube_container_name"),
        "pod_name": tag("pod_name"),
        "env": tag("env"),
        "team": tag("team"),
        "service": tag("service"),
        "hostname": "",
        "priority": "normal",
        "link": f"https://app.datadoghq.eu/event/jump_to?event_id={event_id}",
        "snapshot": snapshot,
        "org": org,
    }


ORG = {"id": "1000231842", "name": "Acme Retail"}


# -- logs -----------------------------------------------------------------------------------


def log_event(ids, t, *, status, service, host, message, tags, attrs):
    return {"id": ids.log_id(), "type": "log", "attributes": {
        "timestamp": iso(t, ms=True), "status": status, "service": service, "host": host,
        "message": message, "tags": tags, "attributes": attrs}}


def write_logs(path: Path, events):
    events = sorted(events, key=lambda e: e["attributes"]["timestamp"])
    write(path, "".join(json.dumps(e, separators=(",", ":"), ensure_ascii=False) + "\n"
                        for e in events))


def trace_ids(ids):
    return {"trace_id": str(ids.rng.getrandbits(63)), "span_id": str(ids.rng.getrandbits(63))}


def day_factor(seed, t, offset_h, lo=0.95, hi=1.05):
    day = int((t + offset_h * 3600) // 86400)
    return random.Random(seed * 100003 + day).uniform(lo, hi)


def image_digests(rng, images):
    return {im: "".join(rng.choice("0123456789abcdef") for _ in range(64)) for im in images}


# ==========================================================================================
# Incident 1: oom-checkout-0314
# ==========================================================================================

CHK_RECEIVED = "2026-03-14T10:02:11Z"
CHK_SALE = epoch("2026-03-13T09:30:00Z")   # spring sale launch (newsletter at 10:30 CET)
CHK_BASE, CHK_AMP = 392 * MI, 352 * MI      # app memory: idle JVM + per-traffic share


def checkout_traffic(t):
    """Share of peak checkout traffic: CET shoppers, two daily peaks; the spring sale adds a
    mild lift from Friday morning and three short flash-sale spikes (newsletter Friday 11:45
    CET, TV spot Friday 20:15 CET, flash deals Saturday from 10:15 CET)."""
    h = hours(t, 1)
    wd = weekday(t, 1)
    morning = 0.50 * gauss(h, 11.4, 1.5)
    afternoon = 0.16 * gauss(h, 15.2, 1.8)
    evening = 0.60 * gauss(h, 20.4, 1.4)
    if wd >= 5:
        morning *= 1.22
        evening *= 1.06
    x = 0.07 + 0.05 * gauss(h, 13.5, 5.0) + morning + afternoon + evening
    x *= day_factor(314, t, 1)
    if t >= CHK_SALE:
        x *= 1.0 + 0.12 * min(1.0, (t - CHK_SALE) / 5400.0)
        day = (t + 3600) // 86400
        if day == (CHK_SALE + 3600) // 86400:          # Friday
            x += 0.64 * gauss(h, 11.95, 0.42) + 0.52 * gauss(h, 20.35, 0.40)
        else:                                          # Saturday
            x += 0.78 * gauss(h, 10.95, 0.62)
    return x


def checkout_template(version, image_tag):
    labels = {"app.kubernetes.io/name": "checkout", "app.kubernetes.io/part-of": "shop",
              "team": "payments", "tags.datadoghq.com/env": "prod",
              "tags.datadoghq.com/service": "checkout", "tags.datadoghq.com/version": version}
    field = lambda p: {"valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": p}}}
    spec = {
        "volumes": [
            {"name": "app-logs", "emptyDir": {"sizeLimit": "1Gi"}},
            {"name": "log-shipper-config", "configMap": {"name": "checkout-log-shipper",
                                                         "defaultMode": 420}},
        ],
        "containers": [
            {"name": "app", "image": f"registry.example.com/shop/checkout:{image_tag}",
             "ports": [{"name": "http", "containerPort": 8080},
                       {"name": "management", "containerPort": 8081}],
             "env": [
                 {"name": "JAVA_TOOL_OPTIONS",
                  "value": "-XX:MaxRAMPercentage=60.0 -XX:+UseG1GC -Xlog:gc:stdout"},
                 {"name": "SPRING_PROFILES_ACTIVE", "value": "prod"},
                 {"name": "DD_ENV", **field("metadata.labels['tags.datadoghq.com/env']")},
                 {"name": "DD_SERVICE", **field("metadata.labels['tags.datadoghq.com/service']")},
                 {"name": "DD_VERSION", **field("metadata.labels['tags.datadoghq.com/version']")},
                 {"name": "DD_AGENT_HOST", **field("status.hostIP")},
             ],
             "resources": {"limits": {"memory": "768Mi"},
                           "requests": {"cpu": "250m", "memory": "512Mi"}},
             "volumeMounts": [{"name": "app-logs", "mountPath": "/var/log/app"}],
             "livenessProbe": {"httpGet": {"path": "/actuator/health/liveness",
                                           "port": "management"},
                               "initialDelaySeconds": 60, "periodSeconds": 10,
                               "failureThreshold": 6},
             "readinessProbe": {"httpGet": {"path": "/actuator/health/readiness",
                                            "port": "management"},
                                "initialDelaySeconds": 20, "periodSeconds": 5},
             "securityContext": {"allowPrivilegeEscalation": False, "runAsNonRoot": True,
                                 "runAsUser": 10001}},
            {"name": "log-shipper", "image": "registry.example.com/platform/fluent-bit:3.0.7",
             "args": ["--config=/fluent-bit/etc/fluent-bit.yaml"],
             "resources": {"limits": {"memory": "128Mi"},
                           "requests": {"cpu": "50m", "memory": "64Mi"}},
             "volumeMounts": [
                 {"name": "app-logs", "mountPath": "/var/log/app", "readOnly": True},
                 {"name": "log-shipper-config", "mountPath": "/fluent-bit/etc"}],
             "securityContext": {"allowPrivilegeEscalation": False, "runAsNonRoot": True,
                                 "runAsUser": 10001}},
        ],
        "terminationGracePeriodSeconds": 45,
        "serviceAccountName": "checkout",
        "topologySpreadConstraints": [
            {"maxSkew": 1, "topologyKey": "topology.kubernetes.io/zone",
             "whenUnsatisfiable": "ScheduleAnyway",
             "labelSelector": {"matchLabels": {"app.kubernetes.io/name": "checkout"}}}],
    }
    annotations = {"ad.datadoghq.com/app.logs": '[{"source":"java","service":"checkout"}]',
                   "ad.datadoghq.com/log-shipper.logs": '[{"source":"fluentbit","service":"checkout"}]'}
    return labels, annotations, spec


def build_checkout(out: Path, stats: bool):
    rng = random.Random(20260314)
    ids = Ids(rng)
    R = epoch(CHK_RECEIVED)
    ns = "shop"
    app_img = "registry.example.com/shop/checkout:1.4.2"
    ls_img = "registry.example.com/platform/fluent-bit:3.0.7"
    digests = image_digests(rng, [app_img, ls_img])

    n1 = "ip-10-42-17-203.eu-central-1.compute.internal"
    n2 = "ip-10-42-33-87.eu-central-1.compute.internal"
    n3 = "ip-10-42-50-12.eu-central-1.compute.internal"
    n_old = "ip-10-42-49-160.eu-central-1.compute.internal"
    node_ip = {n1: "10.42.17.203", n2: "10.42.33.87", n3: "10.42.50.12", n_old: "10.42.49.160"}

    def mk(kills=(), backoffs=()):
        return [Ctr("app", app_img, kills, backoffs), Ctr("log-shipper", ls_img)]

    rs_cur = "checkout-7d9f8c6b5"
    pa = Pod(f"{rs_cur}-x2x8q", n1, "10.42.18.41", "2026-03-02T14:21:37Z", mk(
        ["2026-03-13T10:47:22Z", "2026-03-13T19:12:05Z", "2026-03-14T09:31:40Z",
         "2026-03-14T09:40:12Z", "2026-03-14T09:49:30Z", "2026-03-14T09:59:20Z"],
        [10, 10, 10, 20, 40, 80]), rs=rs_cur)
    pb = Pod(f"{rs_cur}-k4mzn", n2, "10.42.34.112", "2026-03-02T14:22:19Z", mk(
        ["2026-03-13T11:05:31Z", "2026-03-14T09:36:58Z", "2026-03-14T09:45:40Z"],
        [10, 10, 20]), rs=rs_cur)
    p_old = Pod(f"{rs_cur}-hv4tz", n_old, "10.42.48.9", "2026-03-02T14:21:58Z", mk(),
                deleted="2026-03-11T03:12:40Z", rs=rs_cur)
    pc = Pod(f"{rs_cur}-p9t6r", n3, "10.42.51.77", "2026-03-11T03:12:48Z", mk(
        ["2026-03-13T10:58:14Z", "2026-03-13T19:30:40Z", "2026-03-14T09:34:50Z",
         "2026-03-14T09:44:40Z", "2026-03-14T09:54:10Z", "2026-03-14T10:01:05Z"],
        [10, 10, 10, 20, 40, 80]), rs=rs_cur)
    pods = [pa, pb, p_old, pc]
    bias = {pa.name: 6 * MI, pb.name: -16 * MI, p_old.name: -4 * MI, pc.name: 2 * MI}

    # ---- metrics -------------------------------------------------------------------------
    limit_app, req_app = 768 * MI, 512 * MI
    limit_ls, req_ls = 128 * MI, 64 * MI
    base_tags = ["kube_cluster_name:eu-1", "kube_namespace:shop", "kube_deployment:checkout",
                 f"kube_replica_set:{rs_cur}", "env:prod", "service:checkout"]
    all_series = []
    app_points = []
    for pod in pods:
        app, ls = pod.containers
        b = bias[pod.name]
        slow = {}

        def demand(t, age, b=b):
            return CHK_BASE + CHK_AMP * checkout_traffic(t) + b

        ws = simulate_ws(pod, app, R, demand, start_ws=290 * MI, limit=limit_app,
                         tau_up=600, tau_down=3600, warm_tau=100, ramp_s=360,
                         clamp=limit_app - 11 * MI, noise_sd=2.2 * MI, rng=rng)
        wsb = bucketize(ws, R)
        app_points += list(wsb.values())
        starts = [s for s, _, _ in app.instances(R)]

        def cpu_app(t, v, starts=starts):
            c = 0.05 + 0.50 * checkout_traffic(t + 150)
            if any(t - 60 <= s < t + STEP for s in starts[1:]):
                c += 0.85   # JIT + cache warm-up after a restart
            if v > 700 * MI:
                c += 0.12   # GC pressure near the limit
            return c * 1e9 * (1 + rng.gauss(0, 0.07))

        all_series += container_series(
            pod, app, R, base_tags, wsb, limit=limit_app, request=req_app,
            rss_fn=lambda t, v: v - 19 * MI - abs(rng.gauss(0, 3 * MI)),
            usage_fn=lambda t, v: min(limit_app - 200 * KI, v + 44 * MI + rng.gauss(0, 6 * MI)),
            cpu_fn=cpu_app, rng=rng)

        ws_ls = simulate_ws(pod, ls, R, lambda t, age: 33 * MI + 15 * MI * checkout_traffic(t),
                            start_ws=20 * MI, limit=limit_ls, tau_up=300, tau_down=900,
                            warm_tau=120, ramp_s=60, clamp=limit_ls - 30 * MI,
                            noise_sd=0.5 * MI, rng=rng)
        all_series += container_series(
            pod, ls, R, base_tags, bucketize(ws_ls, R), limit=limit_ls, request=req_ls,
            rss_fn=lambda t, v: v - 6 * MI - abs(rng.gauss(0, 0.5 * MI)),
            usage_fn=lambda t, v: v + 9 * MI + rng.gauss(0, 1 * MI),
            cpu_fn=lambda t, v: (0.004 + 0.021 * checkout_traffic(t + 150)) * 1e9
            * (1 + rng.gauss(0, 0.1)), rng=rng)
    if stats:
        print(f"checkout app working set: max {max(app_points) / MI:.0f}Mi "
              f"p95 {pct(app_points, 95) / MI:.0f}Mi p50 {pct(app_points, 50) / MI:.0f}Mi")
        for x in all_series:
            if x["metric"] == "kubernetes.memory.working_set" and "kube_container_name:app" in x["tags"]:
                v = [p[1] for p in x["points"]]
                print(f"  {x['tags'][6]}: p95 {pct(v, 95) / MI:.0f}Mi max {max(v) / MI:.0f}Mi")
        for pod in pods:
            s = [x for x in all_series if x["metric"] == "kubernetes.memory.working_set"
                 and f"pod_name:{pod.name}" in x["tags"] and "kube_container_name:app" in x["tags"]][0]
            pts = dict(s["points"])
            for k in pod.containers[0].kills:
                mx = max(v for t, v in pts.items() if k - 600 <= t <= k)
                print(f"  {pod.name} kill {iso(k)}: max bucket in the 10 min before {mx / MI:.0f}Mi"
                      f" demand {(CHK_BASE + CHK_AMP * checkout_traffic(k)) / MI:.0f}Mi")
    write_metrics(out / "state" / "metrics.json", all_series)

    # ---- kubernetes objects --------------------------------------------------------------
    objs = []
    objs.append(namespace_obj(ids, ns, "2024-11-05T08:30:12Z", {
        "team": "shop-platform", "argocd.argoproj.io/managed-by": "argocd",
        "pod-security.kubernetes.io/enforce": "baseline"}))
    dep_uid = ids.uid()
    dep_labels, tpl_ann, _ = checkout_template("1.4.2", "1.4.2")
    revisions = [("6f7c4b8d9", "5", "1.3.9", "2026-01-27T10:02:51Z"),
                 ("5c8b9d7f4", "6", "1.4.1", "2026-02-16T13:40:07Z"),
                 ("7d9f8c6b5", "7", "1.4.2", "2026-03-02T14:21:30Z")]
    argo = {"argocd.argoproj.io/tracking-id": "shop-checkout:apps/Deployment:shop/checkout"}
    _, _, tpl_spec = checkout_template("1.4.2", "1.4.2")
    dep = {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {
            "name": "checkout", "namespace": ns, "uid": dep_uid,
            "resourceVersion": ids.resource_version(), "generation": 11,
            "creationTimestamp": "2025-06-03T09:14:22Z", "labels": dict(dep_labels),
            "annotations": {"deployment.kubernetes.io/revision": "7", **argo}},
        "spec": {
            "replicas": 3, "revisionHistoryLimit": 10, "progressDeadlineSeconds": 600,
            "selector": {"matchLabels": {"app.kubernetes.io/name": "checkout"}},
            "strategy": {"type": "RollingUpdate",
                         "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}},
            "template": {"metadata": {"creationTimestamp": None, "labels": dict(dep_labels),
                                      "annotations": dict(tpl_ann)},
                         "spec": api_pod_spec(tpl_spec)}},
        "status": {
            "observedGeneration": 11, "replicas": 3, "updatedReplicas": 3, "readyReplicas": 2,
            "availableReplicas": 2, "unavailableReplicas": 1,
            "conditions": [
                {"type": "Progressing", "status": "True",
                 "lastUpdateTime": "2026-03-02T14:23:41Z",
                 "lastTransitionTime": "2025-06-03T09:14:22Z",
                 "reason": "NewReplicaSetAvailable",
                 "message": f'ReplicaSet "{rs_cur}" has successfully progressed.'},
                {"type": "Available", "status": "False",
                 "lastUpdateTime": iso(epoch("2026-03-14T10:01:05Z")),
                 "lastTransitionTime": iso(epoch("2026-03-14T10:01:05Z")),
                 "reason": "MinimumReplicasUnavailable",
                 "message": "Deployment does not have minimum availability."}]},
    }
    objs.append(dep)
    rs_objs = {}
    for h, rev, ver, created in revisions:
        labels, ann, spec = checkout_template(ver, ver)
        labels = {**labels, "pod-template-hash": h}
        cur = h == "7d9f8c6b5"
        rs = {
            "apiVersion": "apps/v1", "kind": "ReplicaSet",
            "metadata": {
                "name": f"checkout-{h}", "namespace": ns, "uid": ids.uid(),
                "resourceVersion": ids.resource_version(), "generation": 3 if not cur else 2,
                "creationTimestamp": created, "labels": labels,
                "annotations": {"deployment.kubernetes.io/desired-replicas": "3",
                                "deployment.kubernetes.io/max-replicas": "4",
                                "deployment.kubernetes.io/revision": rev, **argo},
                "ownerReferences": [owner("Deployment", "checkout", dep_uid)]},
            "spec": {"replicas": 3 if cur else 0,
                     "selector": {"matchLabels": {"app.kubernetes.io/name": "checkout",
                                                  "pod-template-hash": h}},
                     "template": {"metadata": {"creationTimestamp": None, "labels": labels,
                                               "annotations": ann},
                                  "spec": api_pod_spec(spec)}},
            "status": ({"replicas": 3, "fullyLabeledReplicas": 3, "readyReplicas": 2,
                        "availableReplicas": 2, "observedGeneration": 2} if cur else
                       {"replicas": 0, "observedGeneration": 3}),
        }
        rs_objs[h] = rs
        objs.append(rs)
    rs = rs_objs["7d9f8c6b5"]
    pod_objs = {}
    for pod in [pa, pb, pc]:
        labels = {**dep_labels, "pod-template-hash": "7d9f8c6b5"}
        po = pod_obj(ids, pod, namespace=ns, labels=labels, annotations=dict(tpl_ann),
                     owner_ref=owner("ReplicaSet", rs["metadata"]["name"],
                                     rs["metadata"]["uid"]),
                     template_spec=tpl_spec, received=R, node_ip=node_ip[pod.node],
                     images=digests)
        pod_objs[pod.name] = po
        objs.append(po)
    objs.append({
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": "checkout", "namespace": ns, "uid": ids.uid(),
                     "resourceVersion": ids.resource_version(),
                     "creationTimestamp": "2025-06-03T09:14:22Z",
                     "labels": {"app.kubernetes.io/name": "checkout",
                                "app.kubernetes.io/part-of": "shop", "team": "payments"},
                     "annotations": {"argocd.argoproj.io/tracking-id":
                                     "shop-checkout:/Service:shop/checkout"}},
        "spec": {"clusterIP": "172.20.114.23", "clusterIPs": ["172.20.114.23"],
                 "internalTrafficPolicy": "Cluster", "ipFamilies": ["IPv4"],
                 "ipFamilyPolicy": "SingleStack",
                 "ports": [{"name": "http", "port": 80, "protocol": "TCP", "targetPort": "http"}],
                 "selector": {"app.kubernetes.io/name": "checkout"},
                 "sessionAffinity": "None", "type": "ClusterIP"},
        "status": {"loadBalancer": {}}})
    # Quota: checkout is 3 x (576Mi requests, 896Mi limits, 300m cpu) of the namespace total.
    objs.append(quota_obj(ids, "shop-compute", ns, "2024-11-05T08:30:14Z",
                          {"limits.memory": "64Gi", "pods": "100", "requests.cpu": "20",
                           "requests.memory": "40Gi"},
                          {"limits.memory": "23104Mi", "pods": "31", "requests.cpu": "7150m",
                           "requests.memory": "14016Mi"}))
    objs.append(limitrange_obj(ids, "shop-defaults", ns, "2024-11-05T08:30:14Z", [
        {"type": "Container", "max": {"memory": "4Gi"}, "min": {"memory": "16Mi"},
         "default": {"memory": "512Mi"}, "defaultRequest": {"memory": "256Mi"}}]))
    hb = iso(R - 7)
    nodes = {}
    for name, created, zone in [(n1, "2026-02-20T06:11:42Z", "eu-central-1a"),
                                (n2, "2026-02-20T06:12:09Z", "eu-central-1b"),
                                (n3, "2026-03-11T02:58:31Z", "eu-central-1c")]:
        no = node_obj(ids, name, created=created, ip=node_ip[name], zone=zone,
                      region="eu-central-1", itype="m6i.2xlarge", cpu=8, mem_gi=32,
                      ami="ami-0c3e1f5e9d1b2a477", kubelet="v1.30.4-eks-a737599",
                      pool="general-m6i-2xl", heartbeat=hb)
        no["status"]["nodeInfo"]["osImage"] = "Amazon Linux 2"
        no["status"]["nodeInfo"]["kernelVersion"] = "5.10.225-213.878.amzn2.x86_64"
        nodes[name] = no
        objs.append(no)

    # ---- events (last hour: the default event TTL) ---------------------------------------
    events = []
    readiness = {}
    for pod in [pa, pb, pc]:
        po = pod_objs[pod.name]
        app = pod.containers[0]
        starts = [k + b for k, b in zip(app.kills, app.backoffs) if R - 3600 <= k + b <= R]
        url = f"http://{pod.ip}:8081/actuator/health/readiness"
        msgs = []
        if starts:
            msgs.append((f'Readiness probe failed: Get "{url}": dial tcp {pod.ip}:8081: '
                         f'connect: connection refused', starts[0] + 21, min(R, starts[-1] + 33),
                         3 * len(starts)))
        kills = [k for k in app.kills if k >= R - 3600]
        if kills:
            msgs.append((f'Readiness probe failed: Get "{url}": context deadline exceeded '
                         f'(Client.Timeout exceeded while awaiting headers)', kills[0] - 95,
                         kills[-1] - 4, 4 * len(kills) + 3))
        readiness[pod.name] = msgs
        events += container_events(ids, pod, po, app, ns, R, ready_msgs=msgs)
        for k in kills:
            events.append(oom_node_event(
                ids, nodes[pod.node], k, pid=rng.randint(8, 40), comm="java",
                total_vm_kb=rng.randint(4_700_000, 4_950_000),
                anon_kb=rng.randint(776_000, 782_000), file_kb=rng.randint(17_000, 21_000),
                shmem_kb=0, uid=10001, adj=985))
    events.sort(key=lambda e: (e["lastTimestamp"], e["metadata"]["name"]))
    objs += events
    write(out / "state" / "kubernetes.yaml", "---\n".join(dump_yaml(o) for o in objs))

    # ---- logs ----------------------------------------------------------------------------
    logs = []
    t0 = R - 60 * 60
    k8s_tags = lambda pod, ctr, source: [
        f"source:{source}", "env:prod", "kube_cluster_name:eu-1", "kube_namespace:shop",
        "kube_deployment:checkout", f"kube_replica_set:{rs_cur}", f"pod_name:{pod.name}",
        f"kube_container_name:{ctr}", "service:checkout", "version:1.4.2", "team:payments",
        f"image_tag:{'1.4.2' if ctr == 'app' else '3.0.7'}",
        f"short_image:{'checkout' if ctr == 'app' else 'fluent-bit'}"]

    def running(pod, t):
        return any(s <= t and (e is None or t < e) for s, e, _ in pod.containers[0].instances(R))

    def app_log(pod, t, status, msg, logger, extra=None, thread=None):
        attrs = {"logger": {"name": logger, "thread_name": thread or
                            f"http-nio-8080-exec-{rng.randint(1, 40)}"},
                 "level": {"info": "INFO", "warn": "WARN", "error": "ERROR"}[status],
                 "dd": trace_ids(ids)}
        if extra:
            attrs.update(extra)
        logs.append(log_event(ids, t, status=status, service="checkout", host=pod.node,
                              message=msg, tags=k8s_tags(pod, "app", "java"), attrs=attrs))

    # steady business logs from live instances
    t = t0
    while t < R:
        t += rng.uniform(110, 230)
        pod = rng.choice([pa, pb, pc])
        if not running(pod, t) or t >= R:
            continue
        order = ids.hex(8) + "-" + ids.hex(4)
        total = rng.choice(["39.90", "129.85", "64.00", "212.40", "18.99", "89.90"])
        app_log(pod, t, "info", f"Order {order} confirmed: {rng.randint(2, 6)} items, total "
                f"{total} EUR, psp=adyen, latency={rng.randint(140, 900)}ms",
                "com.acme.shop.checkout.OrderService",
                {"order": {"id": order, "total": float(total), "currency": "EUR"}})
    # GC pressure and OOM symptoms before each kill in the window
    for pod in [pa, pb, pc]:
        app = pod.containers[0]
        for k in [k for k in app.kills if k >= t0]:
            for off in rng.sample([250, 130, 40], rng.randint(1, 2)):
                before, after = rng.randint(440, 458), rng.randint(420, 452)
                app_log(pod, k - off - rng.uniform(0, 20), "warn",
                        f"[gc] GC({rng.randint(900, 4000)}) Pause Young (Concurrent Start) "
                        f"(G1 Humongous Allocation) {before}M->{after}M(460M) "
                        f"{rng.uniform(180, 640):.3f}ms", "gc", thread="GC Thread#0")
            if rng.random() < 0.5:
                app_log(pod, k - rng.uniform(60, 110), "warn",
                        f"HikariPool-1 - Thread starvation or clock leap detected (housekeeper "
                        f"delta={rng.randint(31, 58)}s{rng.randint(100, 999)}ms).",
                        "com.zaxxer.hikari.pool.HikariPool", thread="HikariPool-1 housekeeper")
            if rng.random() < 0.6:
                app_log(pod, k - rng.uniform(5, 50), "error",
                        "Unexpected error while writing response to client",
                        "reactor.netty.http.client.HttpClientConnect",
                        {"error": {"kind": "java.lang.OutOfMemoryError",
                                   "message": "Direct buffer memory",
                                   "stack": "java.lang.OutOfMemoryError: Direct buffer memory\n"
                                   "\tat java.base/java.nio.Bits.reserveMemory(Bits.java:175)\n"
                                   "\tat java.base/java.nio.DirectByteBuffer.<init>(DirectByteBuffer.java:118)\n"
                                   "\tat java.base/java.nio.ByteBuffer.allocateDirect(ByteBuffer.java:317)\n"
                                   "\tat io.netty.buffer.PoolArena$DirectArena.allocateDirect(PoolArena.java:718)\n"
                                   "\tat io.netty.buffer.PoolArena.allocate(PoolArena.java:215)\n"
                                   "\tat com.acme.shop.checkout.psp.AdyenClient.authorize(AdyenClient.java:142)"}},
                        thread=f"reactor-http-epoll-{rng.randint(1, 4)}")
            logs.append(log_event(
                ids, k + rng.uniform(0.05, 0.4), status="error", service="checkout",
                host=pod.node,
                message=f"/opt/app/run.sh: line 23:     7 Killed                  java "
                        f"$JAVA_OPTS -jar /opt/app/checkout.jar",
                tags=k8s_tags(pod, "app", "java"), attrs={}))
            # ingress sees the dropped connections
            for _ in range(rng.randint(1, 2)):
                tt = k + rng.uniform(0, 2)
                logs.append(log_event(
                    ids, tt, status="error", service="ingress-nginx",
                    host=rng.choice([n1, n2, n3]),
                    message=f'{iso(tt).replace("-", "/").replace("T", " ").rstrip("Z")} [error] 31#31: *{rng.randint(10**6, 10**7)} upstream '
                            f'prematurely closed connection while reading response header from '
                            f'upstream, client: 10.42.{rng.randint(0, 60)}.{rng.randint(2, 250)}, '
                            f'server: shop.example.com, request: "POST /api/checkout/confirm '
                            f'HTTP/2.0", upstream: "http://{pod.ip}:8080/api/checkout/confirm", '
                            f'host: "shop.example.com"',
                    tags=["source:nginx-ingress-controller", "env:prod", "kube_cluster_name:eu-1",
                          "kube_namespace:ingress-nginx", "service:ingress-nginx"],
                    attrs={"http": {"method": "POST", "url": "/api/checkout/confirm",
                                    "status_code": 502}}))
            # startup after the restart
            s = k + app.backoffs[app.kills.index(k)]
            if s < R:
                app_log(pod, s + rng.uniform(6, 9), "info",
                        "Starting CheckoutApplication v1.4.2 using Java 21.0.4 with PID 7",
                        "com.acme.shop.checkout.CheckoutApplication", thread="main")
                if s + 28 < R:
                    app_log(pod, s + rng.uniform(26, 32), "info",
                            f"Started CheckoutApplication in {rng.uniform(17, 24):.3f} seconds "
                            f"(process running for {rng.uniform(19, 26):.3f})",
                            "com.acme.shop.checkout.CheckoutApplication", thread="main")
    # log-shipper and unrelated services
    for _ in range(4):
        pod = rng.choice([pa, pb, pc])
        tt = rng.uniform(t0, R)
        logs.append(log_event(
            ids, tt, status="warn", service="checkout", host=pod.node,
            message=f"[{iso(tt).replace('-', '/').replace('T', ' ').rstrip('Z')}] [ warn] "
                    f"[engine] failed to flush chunk '1-{int(tt)}.{rng.randint(100, 999)}.flb', "
                    f"retry in {rng.randint(6, 12)} seconds: task_id={rng.randint(0, 9)}, "
                    f"input=tail.0 > output=datadog.0 (out_id=0)",
            tags=k8s_tags(pod, "log-shipper", "fluentbit"), attrs={}))
    for _ in range(5):
        tt = rng.uniform(t0, R)
        logs.append(log_event(
            ids, tt, status=rng.choice(["info", "info", "warn"]), service="cart",
            host=rng.choice([n1, n2, n3]),
            message=rng.choice([
                "Cart merged for session after login", "Cache miss ratio 0.31 above 0.25 for "
                "key prefix product:", "Recalculated promotions for cart: SPRING26 applied"]),
            tags=["source:go", "env:prod", "kube_cluster_name:eu-1", "kube_namespace:shop",
                  "kube_deployment:cart", "service:cart", "team:storefront"],
            attrs={"level": "info"}))
    write_logs(out / "state" / "logs.jsonl", logs)

    # ---- alert ---------------------------------------------------------------------------
    scope = ["kube_cluster_name:eu-1", "kube_container_name:app", "kube_deployment:checkout",
             "kube_namespace:shop", f"pod_name:{pa.name}"]
    title = "[Triggered on {" + ",".join(scope) + "}] checkout container OOMKilled"
    status = ("kubernetes.containers.restarts over " + ",".join(scope)
              + " was > 5.0 at least once during the last 5m.")
    body = (
        f"checkout container app in pod {pa.name} has restarted 6 times; last termination "
        f"reason \"OOMKilled\" (exit code 137).\n"
        "Check the heap/limit ratio before bumping memory. Runbook: "
        "https://gitlab.example.com/shop/runbooks/-/blob/main/checkout/oom.md\n"
        "KFIX value=6.0 threshold=5.0 warn_threshold=3.0 comparator=> @webhook-kfix\n"
        "@slack-payments-alerts\n\n"
        f"{status}\n\n"
        "The monitor was last triggered at Sat Mar 14 2026 10:02:11 UTC.\n\n- - -\n\n"
        "[Monitor Status] \u00b7 [Edit Monitor] \u00b7 [Related Logs]")
    alert = alert_payload(
        ids, received=R, title=title, body=body, priority="P2", status=status,
        metric="kubernetes.containers.restarts",
        query=("max(last_5m):max:kubernetes.containers.restarts{kube_cluster_name:eu-1,"
               "kube_namespace:shop,kube_deployment:checkout} by {kube_cluster_name,"
               "kube_namespace,kube_deployment,kube_container_name,pod_name} > 5"),
        scope_tags=scope, monitor_tags=["env:prod", "team:payments", "service:checkout"],
        snapshot="https://p.datadoghq.eu/snapshot/view/dd-snapshots-eu1-prod/org_1000231842/"
                 "2026-03-14/" + ids.hex(40) + ".png",
        org=ORG)
    write(out / "alert.json", json.dumps(alert, indent=2, ensure_ascii=False) + "\n")
    return {"pods": pod_objs, "dep": dep}


CHECKOUT_INCIDENT = """\
format: kfix-incident/v1
id: oom-checkout-0314
title: checkout pods OOMKilled under spring-sale peak traffic
alert_type: oom_killed
env: prod
cluster: eu-1
received_at: "2026-03-14T10:02:11Z"
gitops:
  project: shop/deploy
  target_branch: main
workload:
  kind: Deployment
  namespace: shop
  name: checkout
expected:
  decision: fix
  accept:
    - action: set_resources
      container: app
      memory_limit: {min: 960Mi, max: 1536Mi}
      memory_request: {min: 512Mi, max: 1536Mi}
  reject:
    - action: scale_replicas
      why: more replicas do not lower per-pod memory
    - action: set_resources
      container: log-shipper
      why: the log-shipper sidecar never restarted and stays under 60Mi of its 128Mi limit; only app is OOMKilled
source: synthetic
notes: |
  All three pods of checkout show the app container with lastState.terminated
  reason OOMKilled, exitCode 137 (restartCount 6, 3 and 5; checkout-7d9f8c6b5-p9t6r is in
  CrashLoopBackOff). The node-problem-detector OOMKilling events are "Memory cgroup out of
  memory" kills of java with anon-rss about 760Mi, i.e. at the container limit (768Mi), not
  node pressure. The working set of app climbs to 740-765Mi in the minutes before every kill and
  every kill falls in a spring-sale traffic spike (Fri 11:45 and 20:15 CET, Sat from 10:15
  CET). Outside the spikes the 7-day history is healthy: p95 about 650Mi, peak about 760Mi, back
  to 400-450Mi at night, no upward drift between restarts, so this is a limit sized without
  headroom for peak load, not a leak. Image 1.4.2 (revision 7) has run since 2 March without
  an OOM before the sale, so a rollback is not the fix.

  Right answer: raise the app memory limit. Reference sizing (remediation.md 5.1):
  max(limit x 1.25 = 960Mi, limit + 100Mi = 868Mi, peak 765Mi x 1.15 = 880Mi) = 960Mi; more
  than 2x (1536Mi) would be a bump without evidence. The request may stay at 512Mi or rise
  with the limit (request = limit is also fine), never below 512Mi. The JVM heap is
  MaxRAMPercentage=60 so it grows with the limit; the OOMs come from off-heap growth (netty
  direct buffers, "OutOfMemoryError: Direct buffer memory" in the logs) on top of a full
  heap. Room: LimitRange max 4Gi per container; quota limits.memory 64Gi with 23104Mi used,
  and the rollout peak (3 + 1 surge pods at up to 1536Mi + 128Mi) fits. No CPU limit exists
  and none should be added.

  Wrong answers: scaling out (each pod's heap is sized from its limit and fills under any
  sustained load; the overshoot is per-pod), touching the log-shipper sidecar (never
  restarted, 30-57Mi of 128Mi), rollback (no change in 12 days).
"""

CHECKOUT_DEPLOYMENT_YAML = """\
# checkout: order confirmation and payment hand-off (PSP: Adyen).
# Owner: team payments (#payments-oncall). Synced to eu-1 by Argo CD app "shop-checkout".
# Runbooks: https://gitlab.example.com/shop/runbooks/-/tree/main/checkout
apiVersion: apps/v1
kind: Deployment
metadata:
  name: checkout
  namespace: shop
  labels:
    app.kubernetes.io/name: checkout
    app.kubernetes.io/part-of: shop
    team: payments
    tags.datadoghq.com/env: prod
    tags.datadoghq.com/service: checkout
    tags.datadoghq.com/version: "1.4.2"
spec:
  replicas: 3            # no HPA; capacity reviewed before each sale (see capacity.md)
  revisionHistoryLimit: 10
  selector:
    matchLabels:
      app.kubernetes.io/name: checkout
  strategy:
    type: RollingUpdate
    rollingUpdate:
      maxSurge: 25%
      maxUnavailable: 25%
  template:
    metadata:
      labels:
        app.kubernetes.io/name: checkout
        app.kubernetes.io/part-of: shop
        team: payments
        tags.datadoghq.com/env: prod
        tags.datadoghq.com/service: checkout
        tags.datadoghq.com/version: "1.4.2"
      annotations:
        ad.datadoghq.com/app.logs: '[{"source":"java","service":"checkout"}]'
        ad.datadoghq.com/log-shipper.logs: '[{"source":"fluentbit","service":"checkout"}]'
    spec:
      serviceAccountName: checkout
      terminationGracePeriodSeconds: 45   # let in-flight payments finish
      topologySpreadConstraints:
        - maxSkew: 1
          topologyKey: topology.kubernetes.io/zone
          whenUnsatisfiable: ScheduleAnyway
          labelSelector:
            matchLabels:
              app.kubernetes.io/name: checkout
      containers:
        - name: app
          image: registry.example.com/shop/checkout:1.4.2
          ports:
            - name: http
              containerPort: 8080
            - name: management
              containerPort: 8081
          env:
            # Heap is 60% of the container memory limit; the rest is metaspace, thread
            # stacks and netty direct buffers.
            - name: JAVA_TOOL_OPTIONS
              value: "-XX:MaxRAMPercentage=60.0 -XX:+UseG1GC -Xlog:gc:stdout"
            - name: SPRING_PROFILES_ACTIVE
              value: prod
            - name: DD_ENV
              valueFrom:
                fieldRef:
                  fieldPath: metadata.labels['tags.datadoghq.com/env']
            - name: DD_SERVICE
              valueFrom:
                fieldRef:
                  fieldPath: metadata.labels['tags.datadoghq.com/service']
            - name: DD_VERSION
              valueFrom:
                fieldRef:
                  fieldPath: metadata.labels['tags.datadoghq.com/version']
            - name: DD_AGENT_HOST
              valueFrom:
                fieldRef:
                  fieldPath: status.hostIP
          resources:
            requests:
              cpu: 250m
              memory: 512Mi
            limits:
              # No CPU limit on purpose: throttling hurt p99 at checkout (INC-2291).
              memory: 768Mi
          volumeMounts:
            - name: app-logs
              mountPath: /var/log/app
          readinessProbe:
            httpGet:
              path: /actuator/health/readiness
              port: management
            initialDelaySeconds: 20
            periodSeconds: 5
          livenessProbe:
            httpGet:
              path: /actuator/health/liveness
              port: management
            initialDelaySeconds: 60
            periodSeconds: 10
            failureThreshold: 6
          securityContext:
            allowPrivilegeEscalation: false
            runAsNonRoot: true
            runAsUser: 10001

        # Ships /var/log/app/*.log to Datadog (stdout is collected by the agent as well).
        - name: log-shipper
          image: registry.example.com/platform/fluent-bit:3.0.7
          args:
            - --config=/fluent-bit/etc/fluent-bit.yaml
          resources:
            requests:
              cpu: 50m
              memory: 64Mi
            limits:
              memory: 128Mi
          volumeMounts:
            - name: app-logs
              mountPath: /var/log/app
              readOnly: true
            - name: log-shipper-config
              mountPath: /fluent-bit/etc
          securityContext:
            allowPrivilegeEscalation: false
            runAsNonRoot: true
            runAsUser: 10001
      volumes:
        - name: app-logs
          emptyDir:
            sizeLimit: 1Gi
        - name: log-shipper-config
          configMap:
            name: checkout-log-shipper
---
apiVersion: v1
kind: Service
metadata:
  name: checkout
  namespace: shop
  labels:
    app.kubernetes.io/name: checkout
    app.kubernetes.io/part-of: shop
    team: payments
spec:
  selector:
    app.kubernetes.io/name: checkout
  ports:
    - name: http
      port: 80
      targetPort: http
"""


def write_checkout(out: Path, stats: bool):
    build_checkout(out, stats)
    write(out / "incident.yaml", CHECKOUT_INCIDENT)
    write(out / "gitops" / "apps" / "checkout" / "deployment.yaml", CHECKOUT_DEPLOYMENT_YAML)


# ==========================================================================================
# Incident 2: mem-pressure-orders-0402
# ==========================================================================================

ORD_RECEIVED = "2026-04-02T14:37:45Z"
ORD_REFRESH = epoch("2026-04-02T04:05:00Z")     # staging catalog snapshot refresh
ORD_LOADTEST = (epoch("2026-04-02T14:17:00Z"), epoch("2026-04-02T15:05:00Z"))
ORD_DST = epoch("2026-03-29T01:00:00Z")


def orders_offset(t):
    return 2 if t >= ORD_DST else 1


def orders_traffic(t):
    """Staging traffic: testers and integration suites in CET/CEST office hours, the nightly
    e2e suite at 02:00 UTC, little at weekends, the perf team's load test on 2 April."""
    off = orders_offset(t)
    h = hours(t, off)
    x = 0.05 + 0.62 * gauss(h, 11.0, 2.2) + 0.45 * gauss(h, 15.5, 1.8)
    if weekday(t, off) >= 5:
        x = 0.05 + 0.25 * (x - 0.05)
    x += 0.45 * gauss(hours(t, 0), 2.2, 0.3)
    x *= day_factor(402, t, off, 0.9, 1.1)
    return x + orders_loadtest(t)


def orders_loadtest(t):
    a, b = ORD_LOADTEST
    if a <= t <= b:
        return 1.1 * min(1.0, (t - a) / 900.0) * min(1.0, (b - t) / 300.0)
    return 0.0


def orders_template(version):
    labels = {"app": "orders-api", "team": "fulfilment", "tags.datadoghq.com/env": "staging",
              "tags.datadoghq.com/service": "orders-api", "tags.datadoghq.com/version": version}
    field = lambda p: {"valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": p}}}
    spec = {
        "containers": [
            {"name": "api", "image": f"registry.example.com/fulfilment/orders-api:{version}",
             "ports": [{"name": "http", "containerPort": 8080}],
             "env": [
                 {"name": "JAVA_TOOL_OPTIONS", "value": "-XX:MaxRAMPercentage=75.0 -XX:+UseG1GC"},
                 {"name": "SPRING_PROFILES_ACTIVE", "value": "staging"},
                 {"name": "CATALOG_CACHE_MODE", "value": "full"},
                 {"name": "DD_AGENT_HOST", **field("status.hostIP")},
                 {"name": "DD_ENV", **field("metadata.labels['tags.datadoghq.com/env']")},
                 {"name": "DD_SERVICE", **field("metadata.labels['tags.datadoghq.com/service']")},
                 {"name": "DD_VERSION", **field("metadata.labels['tags.datadoghq.com/version']")},
             ],
             "resources": {"limits": {"cpu": "1", "memory": "1Gi"},
                           "requests": {"cpu": "500m", "memory": "1Gi"}},
             "livenessProbe": {"httpGet": {"path": "/health/live", "port": "http"},
                               "initialDelaySeconds": 90, "periodSeconds": 15,
                               "timeoutSeconds": 3, "failureThreshold": 4},
             "readinessProbe": {"httpGet": {"path": "/health/ready", "port": "http"},
                                "periodSeconds": 10, "timeoutSeconds": 2}},
        ],
        "serviceAccountName": "orders-api",
    }
    return labels, {"ad.datadoghq.com/api.logs": '[{"source":"java","service":"orders-api"}]'}, spec


def build_orders(out: Path, stats: bool):
    rng = random.Random(20260402)
    ids = Ids(rng)
    R = epoch(ORD_RECEIVED)
    ns = "orders"
    img = "registry.example.com/fulfilment/orders-api:3.12.1"
    img_old = "registry.example.com/fulfilment/orders-api:3.12.0"
    digests = image_digests(rng, [img, img_old])
    m1 = "ip-10-42-70-15.eu-central-1.compute.internal"
    m2 = "ip-10-42-86-201.eu-central-1.compute.internal"
    node_ip = {m1: "10.42.70.15", m2: "10.42.86.201"}
    rs_cur, rs_prev = "orders-api-6c7d8f9b4d", "orders-api-58b9c6d7f5"
    old1 = Pod(f"{rs_prev}-rk5js", m1, "10.42.70.144", "2026-03-19T09:42:11Z",
               [Ctr("api", img_old)], deleted="2026-03-28T13:19:22Z", rs=rs_prev)
    old2 = Pod(f"{rs_prev}-zn7fp", m2, "10.42.87.19", "2026-03-19T09:42:58Z",
               [Ctr("api", img_old)], deleted="2026-03-28T13:20:05Z", rs=rs_prev)
    pa = Pod(f"{rs_cur}-hq2vx", m1, "10.42.71.33", "2026-03-28T13:18:41Z", [Ctr("api", img)],
             rs=rs_cur)
    pb = Pod(f"{rs_cur}-t8wzm", m2, "10.42.86.58", "2026-03-28T13:19:23Z", [Ctr("api", img)],
             rs=rs_cur)
    pods = [old1, old2, pa, pb]
    bias = {old1.name: 0.0, old2.name: -0.006, pa.name: 0.004, pb.name: -0.007}
    limit = 1 * GI

    def frac(t, b):
        # before the refresh: heap live set + request buffers that follow traffic; after it
        # the bigger cache leaves little room, G1 collects harder and only the load test
        # pushes the working set much further
        before = 0.772 + b + 0.046 * orders_traffic(t)
        if t < ORD_REFRESH:
            return before
        load = orders_loadtest(t)
        after = 0.879 + b + 0.012 * (orders_traffic(t) - load) + 0.05 * load
        f = min(1.0, (t - ORD_REFRESH) / 1500.0)
        return before + (after - before) * f

    all_series = []
    samples_a = None
    for pod in pods:
        ctr = pod.containers[0]
        b = bias[pod.name]
        ws = simulate_ws(pod, ctr, R, lambda t, age, b=b: frac(t, b) * limit,
                         start_ws=0.42 * limit, limit=limit, tau_up=600, tau_down=7200,
                         warm_tau=1200, ramp_s=60, clamp=0.957 * limit,
                         noise_sd=0.0016 * limit, rng=rng)
        if pod is pa:
            samples_a = ws
        tags = ["kube_cluster_name:eu-1", "kube_namespace:orders", "kube_deployment:orders-api",
                f"kube_replica_set:{pod.rs}", "env:staging", "service:orders-api"]

        def cpu(t, v):
            c = 0.03 + 0.26 * orders_traffic(t + 150)
            c += max(0.0, v / limit - 0.86) * 4.0     # GC work near the heap ceiling
            return min(0.98, c) * 1e9 * (1 + rng.gauss(0, 0.06))

        all_series += container_series(
            pod, ctr, R, tags, bucketize(ws, R), limit=limit, request=limit,
            rss_fn=lambda t, v: v - 27 * MI - abs(rng.gauss(0, 3 * MI)),
            usage_fn=lambda t, v: min(limit - 300 * KI, v + 61 * MI + rng.gauss(0, 5 * MI)),
            cpu_fn=cpu, rng=rng, oom_metric=False)
    last15 = [v for t, v in samples_a.items() if R - 900 < t <= R]
    value = sum(last15) / len(last15) / limit
    if stats:
        for x in all_series:
            if x["metric"] == "kubernetes.memory.working_set":
                v = [p[1] / limit for p in x["points"]]
                recent = [p[1] / limit for p in x["points"] if p[0] >= ORD_REFRESH + 1800]
                print(f"orders {x['tags'][6]}: min {min(v):.3f} max {max(v):.3f} "
                      f"since refresh {min(recent) if recent else 0:.3f}-"
                      f"{max(recent) if recent else 0:.3f}")
        # 15-minute averages of pod a before the load test must stay under 0.9
        pts = {p[0]: p[1] for x in all_series if x["metric"] == "kubernetes.memory.working_set"
               and f"pod_name:{pa.name}" in x["tags"] for p in x["points"]}
        ts_ = sorted(pts)
        first = next((t for i, t in enumerate(ts_[2:], 2)
                      if sum(pts[ts_[j]] for j in range(i - 2, i + 1)) / 3 / limit > 0.9), None)
        print(f"orders alert value {value:.3f}; first 15m avg > 0.9 at {iso(first) if first else None}")
    write_metrics(out / "state" / "metrics.json", all_series)

    # ---- kubernetes objects --------------------------------------------------------------
    objs = [namespace_obj(ids, ns, "2025-02-11T10:03:44Z", {
        "team": "fulfilment", "env": "staging", "argocd.argoproj.io/managed-by": "argocd"})]
    dep_uid = ids.uid()
    labels, tpl_ann, tpl_spec = orders_template("3.12.1")
    argo = {"argocd.argoproj.io/tracking-id":
            "fulfilment-orders-staging:apps/Deployment:orders/orders-api"}
    dep = {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "orders-api", "namespace": ns, "uid": dep_uid,
                     "resourceVersion": ids.resource_version(), "generation": 19,
                     "creationTimestamp": "2025-02-11T10:22:05Z", "labels": dict(labels),
                     "annotations": {"deployment.kubernetes.io/revision": "12", **argo}},
        "spec": {"replicas": 2, "revisionHistoryLimit": 10, "progressDeadlineSeconds": 600,
                 "selector": {"matchLabels": {"app": "orders-api"}},
                 "strategy": {"type": "RollingUpdate",
                              "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}},
                 "template": {"metadata": {"creationTimestamp": None, "labels": dict(labels),
                                           "annotations": dict(tpl_ann)},
                              "spec": api_pod_spec(tpl_spec)}},
        "status": {"observedGeneration": 19, "replicas": 2, "updatedReplicas": 2,
                   "readyReplicas": 2, "availableReplicas": 2,
                   "conditions": [
                       {"type": "Available", "status": "True",
                        "lastUpdateTime": "2026-03-28T13:19:21Z",
                        "lastTransitionTime": "2026-03-28T13:19:21Z",
                        "reason": "MinimumReplicasAvailable",
                        "message": "Deployment has minimum availability."},
                       {"type": "Progressing", "status": "True",
                        "lastUpdateTime": "2026-03-28T13:20:05Z",
                        "lastTransitionTime": "2025-02-11T10:22:05Z",
                        "reason": "NewReplicaSetAvailable",
                        "message": f'ReplicaSet "{rs_cur}" has successfully progressed.'}]},
    }
    objs.append(dep)
    rs_uids = {}
    for h, rev, ver, created in [("7f4b5d9c86", "10", "3.11.4", "2026-03-05T15:10:33Z"),
                                 ("58b9c6d7f5", "11", "3.12.0", "2026-03-19T09:42:10Z"),
                                 ("6c7d8f9b4d", "12", "3.12.1", "2026-03-28T13:18:40Z")]:
        lb, ann, sp = orders_template(ver)
        lb = {**lb, "pod-template-hash": h}
        cur = rev == "12"
        uid = ids.uid()
        rs_uids[h] = uid
        objs.append({
            "apiVersion": "apps/v1", "kind": "ReplicaSet",
            "metadata": {"name": f"orders-api-{h}", "namespace": ns, "uid": uid,
                         "resourceVersion": ids.resource_version(),
                         "generation": 1 if cur else 4, "creationTimestamp": created,
                         "labels": lb,
                         "annotations": {"deployment.kubernetes.io/desired-replicas": "2",
                                         "deployment.kubernetes.io/max-replicas": "3",
                                         "deployment.kubernetes.io/revision": rev, **argo},
                         "ownerReferences": [owner("Deployment", "orders-api", dep_uid)]},
            "spec": {"replicas": 2 if cur else 0,
                     "selector": {"matchLabels": {"app": "orders-api", "pod-template-hash": h}},
                     "template": {"metadata": {"creationTimestamp": None, "labels": lb,
                                               "annotations": ann},
                                  "spec": api_pod_spec(sp)}},
            "status": ({"replicas": 2, "fullyLabeledReplicas": 2, "readyReplicas": 2,
                        "availableReplicas": 2, "observedGeneration": 1} if cur else
                       {"replicas": 0, "observedGeneration": 4})})
    pod_objs = {}
    for pod in [pa, pb]:
        po = pod_obj(ids, pod, namespace=ns, labels={**labels, "pod-template-hash": "6c7d8f9b4d"},
                     annotations=dict(tpl_ann),
                     owner_ref=owner("ReplicaSet", rs_cur, rs_uids["6c7d8f9b4d"]),
                     template_spec=tpl_spec, received=R, node_ip=node_ip[pod.node],
                     images=digests)
        pod_objs[pod.name] = po
        objs.append(po)
    objs.append({
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": "orders-api", "namespace": ns, "uid": ids.uid(),
                     "resourceVersion": ids.resource_version(),
                     "creationTimestamp": "2025-02-11T10:22:05Z",
                     "labels": {"app": "orders-api", "team": "fulfilment"},
                     "annotations": {"argocd.argoproj.io/tracking-id":
                                     "fulfilment-orders-staging:/Service:orders/orders-api"}},
        "spec": {"clusterIP": "172.20.61.190", "clusterIPs": ["172.20.61.190"],
                 "internalTrafficPolicy": "Cluster", "ipFamilies": ["IPv4"],
                 "ipFamilyPolicy": "SingleStack",
                 "ports": [{"name": "http", "port": 8080, "protocol": "TCP",
                            "targetPort": "http"}],
                 "selector": {"app": "orders-api"}, "sessionAffinity": "None",
                 "type": "ClusterIP"},
        "status": {"loadBalancer": {}}})
    # orders-api: 2 x (1 cpu / 1Gi limits, 500m / 1Gi requests); orders-worker 2 x (500m/1Gi
    # limits, 250m/512Mi requests); orders-outbox-relay 1 x (500m/1Gi, 250m/512Mi).
    objs.append(quota_obj(ids, "orders-compute", ns, "2025-02-11T10:03:45Z",
                          {"limits.cpu": "8", "limits.memory": "12Gi", "pods": "30",
                           "requests.cpu": "4", "requests.memory": "12Gi"},
                          {"limits.cpu": "3500m", "limits.memory": "5Gi", "pods": "5",
                           "requests.cpu": "1750m", "requests.memory": "3584Mi"}))
    objs.append(limitrange_obj(ids, "orders-defaults", ns, "2025-02-11T10:03:45Z", [
        {"type": "Container", "max": {"cpu": "2", "memory": "4Gi"},
         "min": {"cpu": "10m", "memory": "32Mi"},
         "default": {"cpu": "500m", "memory": "512Mi"},
         "defaultRequest": {"cpu": "100m", "memory": "256Mi"},
         "maxLimitRequestRatio": {"memory": "2"}}]))
    for name, created, zone in [(m1, "2026-03-24T05:41:17Z", "eu-central-1a"),
                                (m2, "2026-03-24T05:43:02Z", "eu-central-1b")]:
        no = node_obj(ids, name, created=created, ip=node_ip[name], zone=zone,
                      region="eu-central-1", itype="m6i.xlarge", cpu=4, mem_gi=16,
                      ami="ami-0c3e1f5e9d1b2a477", kubelet="v1.30.4-eks-a737599",
                      pool="staging-m6i-xl", heartbeat=iso(R - 12))
        no["status"]["nodeInfo"]["osImage"] = "Amazon Linux 2"
        no["status"]["nodeInfo"]["kernelVersion"] = "5.10.225-213.878.amzn2.x86_64"
        objs.append(no)
    events = []
    for pod, n, first in [(pa, 7, "2026-04-02T14:21:08Z"), (pb, 4, "2026-04-02T14:24:41Z")]:
        po = pod_objs[pod.name]
        events.append(event_obj(
            ids, namespace=ns, involved=pod_ref(po, "api"), reason="Unhealthy",
            message=f'Readiness probe failed: Get "http://{pod.ip}:8080/health/ready": context '
                    f'deadline exceeded (Client.Timeout exceeded while awaiting headers)',
            etype="Warning", first=epoch(first), last=R - rng.randint(40, 200), count=n,
            host=pod.node))
    objs += events
    write(out / "state" / "kubernetes.yaml", "---\n".join(dump_yaml(o) for o in objs))

    # ---- logs ----------------------------------------------------------------------------
    logs = []

    def tags(pod):
        return ["source:java", "env:staging", "kube_cluster_name:eu-1", "kube_namespace:orders",
                "kube_deployment:orders-api", f"kube_replica_set:{rs_cur}",
                f"pod_name:{pod.name}", "kube_container_name:api", "service:orders-api",
                "version:3.12.1", "team:fulfilment", "image_tag:3.12.1",
                "short_image:orders-api"]

    def app_log(pod, t, status, msg, logger, extra=None, thread=None):
        attrs = {"logger": {"name": logger, "thread_name": thread or
                            f"http-nio-8080-exec-{rng.randint(1, 20)}"},
                 "level": {"info": "INFO", "warn": "WARN", "error": "ERROR"}[status]}
        if extra:
            attrs.update(extra)
        logs.append(log_event(ids, t, status=status, service="orders-api", host=pod.node,
                              message=msg, tags=tags(pod), attrs=attrs))

    # the refresh this morning (the cause) and its size
    for pod, d in [(pa, 41), (pb, 57)]:
        app_log(pod, ORD_REFRESH + d, "info",
                "CatalogCache refresh started: source=s3://acme-staging-catalog/snapshots/"
                "2026-04-02/full (prod snapshot)", "com.acme.orders.catalog.CatalogCache",
                thread="catalog-refresh-1")
        app_log(pod, ORD_REFRESH + d + rng.uniform(400, 520), "info",
                "CatalogCache refresh finished: 1284331 SKUs loaded (previous 812004), "
                "estimated retained size 214 MiB (previous 136 MiB)",
                "com.acme.orders.catalog.CatalogCache", thread="catalog-refresh-1",
                extra={"catalog": {"skus": 1284331, "previous_skus": 812004}})
    t = R - 3000
    while t < R - 5:
        t += rng.uniform(60, 140)
        pod = rng.choice([pa, pb])
        lt = ORD_LOADTEST[0] <= t
        r = rng.random()
        if r < 0.45:
            ms = rng.randint(20, 90) if not lt else rng.randint(120, 2400)
            app_log(pod, t, "info" if ms < 1000 else "warn",
                    f"GET /api/v1/orders/ORD-{rng.randint(10**6, 10**7)} 200 {ms}ms" if ms < 1000
                    else f"Slow request: POST /api/v1/orders took {ms}ms (threshold 1000ms)",
                    "com.acme.orders.web.RequestLog",
                    {"http": {"method": "GET" if ms < 1000 else "POST", "status_code": 200},
                     "duration": ms * 1_000_000})
        elif r < 0.8:
            full = lt and rng.random() < 0.35
            heap_before = rng.randint(742, 766)
            app_log(pod, t, "warn" if full else "info",
                    f"[gc] GC({rng.randint(5000, 9000)}) Pause Full (G1 Compaction Pause) "
                    f"{heap_before}M->{rng.randint(688, 712)}M(768M) {rng.uniform(0.9, 1.9):.3f}s"
                    if full else
                    f"[gc] GC({rng.randint(5000, 9000)}) Pause Young (Normal) (G1 Evacuation "
                    f"Pause) {heap_before - rng.randint(0, 25)}M->{rng.randint(690, 720)}M(768M) "
                    f"{rng.uniform(40, 190):.3f}ms", "gc", thread="GC Thread#0")
        else:
            app_log(pod, t, "info",
                    f"Order ORD-{rng.randint(10**6, 10**7)} state transition "
                    f"{rng.choice(['NEW -> RESERVED', 'RESERVED -> PICKING', 'PICKING -> PACKED'])}",
                    "com.acme.orders.domain.OrderStateMachine", thread="kafka-consumer-orders-1")
    for pod in (pa, pb):
        app_log(pod, R - rng.uniform(200, 500), "warn",
                "Heap usage after GC above 90% for 10 consecutive collections "
                "(used 701M of 768M)", "com.acme.common.jvm.GcHealthIndicator",
                thread="gc-health-monitor")
    for i, (tt, msg) in enumerate([
            (ORD_LOADTEST[0] + 4, "k6 run scenarios/orders-checkout-e2e.js: stage 1/3 ramping "
                                  "to 60 VUs (target orders-api.orders.svc:8080)"),
            (ORD_LOADTEST[0] + 604, "stage 2/3 ramping to 120 VUs"),
            (R - 130, "p95 http_req_duration=1843ms above threshold 800ms (checks 97.2%)")]):
        logs.append(log_event(ids, tt, status="info" if i < 2 else "warn", service="perf-runner",
                              host=m2, message=msg,
                              tags=["source:k6", "env:staging", "kube_cluster_name:eu-1",
                                    "kube_namespace:perf", "service:perf-runner", "team:qa"],
                              attrs={}))
    for _ in range(5):
        tt = rng.uniform(R - 3000, R)
        logs.append(log_event(
            ids, tt, status=rng.choice(["info", "warn"]), service="notifications",
            host=rng.choice([m1, m2]),
            message=rng.choice(["SMTP relay responded 421, message requeued",
                                "Template cache reloaded (42 templates)",
                                "Push provider sandbox returned 410 for stale device token"]),
            tags=["source:python", "env:staging", "kube_cluster_name:eu-1",
                  "kube_namespace:notifications", "service:notifications"],
            attrs={"level": "info"}))
    write_logs(out / "state" / "logs.jsonl", logs)

    # ---- alert ---------------------------------------------------------------------------
    scope = ["kube_cluster_name:eu-1", "kube_container_name:api", "kube_deployment:orders-api",
             "kube_namespace:orders", f"pod_name:{pa.name}"]
    flt = "{kube_cluster_name:eu-1,kube_namespace:orders,kube_deployment:orders-api}"
    by = "by {kube_cluster_name,kube_namespace,kube_deployment,kube_container_name,pod_name}"
    title = "[Triggered on {" + ",".join(scope) + "}] orders-api memory above 90% of limit"
    status = ("kubernetes.memory.working_set over " + ",".join(scope)
              + " was > 0.9 on average during the last 15m.")
    body = (f"orders-api working set is at {value * 100:.1f}% of the container memory limit on "
            f"pod {pa.name} (staging).\n"
            "If this persists the pod will be OOMKilled. Owner: \"team fulfilment\".\n"
            f"KFIX value={value:.3f} threshold=0.9 warn_threshold=0.85 comparator=> "
            "@webhook-kfix\n@slack-fulfilment-staging\n\n" + status)
    alert = alert_payload(
        ids, received=R, title=title, body=body, priority="P3", status=status,
        metric="kubernetes.memory.working_set",
        query=(f"avg(last_15m):avg:kubernetes.memory.working_set{flt} {by} / "
               f"avg:kubernetes.memory.limits{flt} {by} > 0.9"),
        scope_tags=scope, monitor_tags=["env:staging", "team:fulfilment", "service:orders-api"],
        snapshot="", org=ORG)
    write(out / "alert.json", json.dumps(alert, indent=2, ensure_ascii=False) + "\n")
    return value


ORDERS_INCIDENT = """\
format: kfix-incident/v1
id: mem-pressure-orders-0402
title: orders-api working set at about 90% of its memory limit since the catalog refresh
alert_type: memory_pressure
env: staging
cluster: eu-1
received_at: "2026-04-02T14:37:45Z"
gitops:
  project: fulfilment/k8s-manifests
  target_branch: main
workload:
  kind: Deployment
  namespace: orders
  name: orders-api
expected:
  decision: fix
  accept:
    - action: set_resources
      container: api
      memory_limit: {min: 1280Mi, max: 2Gi}
  reject:
    - action: scale_replicas
      why: every replica holds the full in-memory catalog cache, so more replicas do not lower per-pod memory
source: synthetic
notes: |
  No OOM yet (restartCount 0 on both pods), but the api container's working set has sat at
  87-92% of its 1Gi limit since about 05:00 UTC: the staging catalog refresh at 04:05 UTC
  loaded a production snapshot (1284331 SKUs instead of 812004; the CatalogCache log line
  gives the retained size, 214 MiB instead of 136 MiB), and the JVM heap
  (MaxRAMPercentage=75, i.e. 768M) now runs with >90% live data after GC. Before the refresh
  the 7-day working set was a stable 76-82% with the usual office-hours cycle; the rollout of
  3.12.1 on 28 March did not change it, so rollback is not indicated. The afternoon load test
  pushed the 15-minute average over 0.9 (the Triggered notification); GC full pauses, slow
  requests and readiness timeouts follow from the pressure.

  Right answer: raise the api memory limit with headroom for the bigger cache. 1.25 x 1Gi =
  1280Mi is the floor; 2Gi (2x) is the most the evidence supports. The heap grows with the
  limit (percentage-based), so no JVM flag change is needed. Constraints that hold for any
  value in range: LimitRange max 4Gi and maxLimitRequestRatio memory 2 (with the 1Gi request
  a 2Gi limit is exactly the ratio; raising the request along with the limit also passes);
  quota limits.memory 12Gi with 5Gi used, and a rollout peak of 3 pods fits. The CPU limit
  (1) is unrelated and should stay.

  Wrong answer: scale_replicas. Each replica keeps the whole catalog in memory; more pods
  spread request load but not the cache.
"""

ORDERS_YAML = """\
## orders-api (staging)  --  owner: team fulfilment
## Argo CD app: fulfilment-orders-staging (auto-sync, prune)
apiVersion: apps/v1
kind: Deployment
metadata:
  name: orders-api
  namespace: orders
  labels:
    app: orders-api
    team: fulfilment
    tags.datadoghq.com/env: staging
    tags.datadoghq.com/service: orders-api
    tags.datadoghq.com/version: 3.12.1
spec:
  replicas: 2
  revisionHistoryLimit: 10
  selector:
    matchLabels:
      app: orders-api
  strategy:
    type: RollingUpdate
    rollingUpdate: {maxSurge: 25%, maxUnavailable: 25%}
  template:
    metadata:
      labels:
        app: orders-api
        team: fulfilment
        tags.datadoghq.com/env: staging
        tags.datadoghq.com/service: orders-api
        tags.datadoghq.com/version: 3.12.1
      annotations:
        ad.datadoghq.com/api.logs: '[{"source":"java","service":"orders-api"}]'
    spec:
      serviceAccountName: orders-api
      containers:
      - name: api
        image: registry.example.com/fulfilment/orders-api:3.12.1
        ports:
        - name: http
          containerPort: 8080
        env:
        - name: JAVA_TOOL_OPTIONS
          value: -XX:MaxRAMPercentage=75.0 -XX:+UseG1GC   # heap follows the memory limit
        - name: SPRING_PROFILES_ACTIVE
          value: staging
        - name: CATALOG_CACHE_MODE      # full = whole catalog in memory (see ADR-017)
          value: full
        - name: DD_AGENT_HOST
          valueFrom:
            fieldRef: {fieldPath: status.hostIP}
        - name: DD_ENV
          valueFrom:
            fieldRef: {fieldPath: "metadata.labels['tags.datadoghq.com/env']"}
        - name: DD_SERVICE
          valueFrom:
            fieldRef: {fieldPath: "metadata.labels['tags.datadoghq.com/service']"}
        - name: DD_VERSION
          valueFrom:
            fieldRef: {fieldPath: "metadata.labels['tags.datadoghq.com/version']"}
        resources:
          limits:
            cpu: "1"
            memory: 1Gi
          requests:
            cpu: 500m
            memory: 1Gi     # request == limit for memory (staging policy)
        livenessProbe:
          httpGet: {path: /health/live, port: http}
          initialDelaySeconds: 90
          periodSeconds: 15
          timeoutSeconds: 3
          failureThreshold: 4
        readinessProbe:
          httpGet: {path: /health/ready, port: http}
          periodSeconds: 10
          timeoutSeconds: 2
---
apiVersion: v1
kind: Service
metadata:
  name: orders-api
  namespace: orders
  labels:
    app: orders-api
    team: fulfilment
spec:
  selector:
    app: orders-api
  ports:
  - name: http
    port: 8080
    targetPort: http
"""


def write_orders(out: Path, stats: bool):
    build_orders(out, stats)
    write(out / "incident.yaml", ORDERS_INCIDENT)
    write(out / "gitops" / "k8s" / "orders" / "orders-api.yaml", ORDERS_YAML)


# ==========================================================================================
# Incident 3: oom-ledger-db-0519
# ==========================================================================================

LDB_RECEIVED = "2026-05-19T02:47:33Z"
LDB_KILL = "2026-05-19T02:45:52Z"
LDB_MARKETPLACE = epoch("2026-05-19T00:00:00Z")
LDB_PG_ARGS = ["-c", "shared_buffers=512MB", "-c", "effective_cache_size=1536MB",
               "-c", "work_mem=64MB", "-c", "maintenance_work_mem=256MB",
               "-c", "max_connections=200", "-c", "max_parallel_workers_per_gather=4",
               "-c", "hot_standby_feedback=on", "-c", "log_min_duration_statement=5000",
               "-c", "log_temp_files=0"]


def ledger_traffic(t):
    """US business-hours OLTP traffic (EDT, UTC-4)."""
    h = hours(t, -4)
    x = 0.08 + 0.7 * gauss(h, 11.5, 2.6) + 0.35 * gauss(h, 15.5, 2.0)
    if weekday(t, -4) >= 5:
        x = 0.08 + 0.3 * (x - 0.08)
    return x * day_factor(519, t, -4)


def ledger_batch(t):
    """Extra postgres memory (bytes) on the reporting replica while ledger-reconcile runs
    (01:30 UTC; three stages; the last, a parallel hash aggregate over month-to-date entries,
    is the big one and grows with the month)."""
    h = hours(t, 0)
    if not 1.5 <= h < 2.95:
        return 0.0
    day = int(t // 86400)
    dom = dt.datetime.fromtimestamp(t, dt.timezone.utc).day     # month-to-date data
    jitter = random.Random(day * 7 + 3).uniform(-25, 25) * MI
    m = (h - 1.5) * 60
    if m < 30:
        return 300 * MI * min(1.0, m / 6)
    if m < 60:
        return 470 * MI * min(1.0, (m - 24) / 8) + jitter / 2
    stage3 = (520 + 15.5 * dom) * MI + jitter
    if t >= LDB_MARKETPLACE:
        stage3 += 115 * MI      # first run that includes marketplace payouts (live 18 May)
    return stage3 * min(1.0, max(0.0, m - 56) / 5) * (1.0 if m < 84 else max(0.0, 1 - (m - 84) / 3))


def ledger_template(with_hash=None):
    labels = {"app.kubernetes.io/name": "ledger-db", "app.kubernetes.io/component": "database",
              "app.kubernetes.io/part-of": "ledger", "team": "ledger",
              "tags.datadoghq.com/env": "prod", "tags.datadoghq.com/service": "ledger-db",
              "tags.datadoghq.com/version": "16.3"}
    spec = {
        "containers": [
            {"name": "postgres", "image": "registry.example.com/mirror/library/postgres:16.3",
             "args": list(LDB_PG_ARGS),
             "ports": [{"name": "postgres", "containerPort": 5432}],
             "env": [
                 {"name": "PGDATA", "value": "/var/lib/postgresql/data/pgdata"},
                 {"name": "POSTGRES_DB", "value": "ledger"},
                 {"name": "POSTGRES_PASSWORD", "valueFrom": {"secretKeyRef": {
                     "name": "ledger-db-credentials", "key": "postgres-password"}}},
                 {"name": "LEDGER_PRIMARY_HOST", "value": "ledger-db-0.ledger-db"},
             ],
             "resources": {"limits": {"memory": "2Gi"},
                           "requests": {"cpu": "1", "memory": "2Gi"}},
             "volumeMounts": [
                 {"name": "data", "mountPath": "/var/lib/postgresql/data"},
                 {"name": "dshm", "mountPath": "/dev/shm"},
                 {"name": "init-scripts", "mountPath": "/docker-entrypoint-initdb.d"}],
             "livenessProbe": {"exec": {"command": ["pg_isready", "-U", "postgres"]},
                               "initialDelaySeconds": 30, "periodSeconds": 15,
                               "timeoutSeconds": 5, "failureThreshold": 6},
             "readinessProbe": {"exec": {"command": ["pg_isready", "-U", "postgres"]},
                                "periodSeconds": 10, "timeoutSeconds": 5}},
            {"name": "metrics-exporter",
             "image": "quay.io/prometheuscommunity/postgres-exporter:v0.15.0",
             "ports": [{"name": "metrics", "containerPort": 9187}],
             "env": [
                 {"name": "DATA_SOURCE_URI", "value": "127.0.0.1:5432/ledger?sslmode=disable"},
                 {"name": "DATA_SOURCE_USER", "value": "postgres_exporter"},
                 {"name": "DATA_SOURCE_PASS", "valueFrom": {"secretKeyRef": {
                     "name": "ledger-db-credentials", "key": "exporter-password"}}}],
             "resources": {"limits": {"memory": "64Mi"}, "requests": {"memory": "32Mi"}}},
        ],
        "volumes": [
            {"name": "dshm", "emptyDir": {"medium": "Memory", "sizeLimit": "1Gi"}},
            {"name": "init-scripts", "configMap": {"name": "ledger-db-init", "defaultMode": 420}}],
        "securityContext": {"fsGroup": 999},
        "terminationGracePeriodSeconds": 120,
        "serviceAccountName": "ledger-db",
        "affinity": {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
            {"labelSelector": {"matchLabels": {"app.kubernetes.io/name": "ledger-db"}},
             "topologyKey": "kubernetes.io/hostname"}]}},
    }
    ann = {"ad.datadoghq.com/postgres.logs": '[{"source":"postgresql","service":"ledger-db"}]',
           "ad.datadoghq.com/metrics-exporter.logs":
               '[{"source":"postgres_exporter","service":"ledger-db"}]'}
    return labels, ann, spec


def build_ledger(out: Path, stats: bool):
    rng = random.Random(20260519)
    ids = Ids(rng)
    R = epoch(LDB_RECEIVED)
    kill = epoch(LDB_KILL)
    ns = "payments"
    pg_img = "registry.example.com/mirror/library/postgres:16.3"
    ex_img = "quay.io/prometheuscommunity/postgres-exporter:v0.15.0"
    digests = image_digests(rng, [pg_img, ex_img])
    nodes = ["ip-10-60-12-148.us-east-2.compute.internal",
             "ip-10-60-27-9.us-east-2.compute.internal",
             "ip-10-60-44-201.us-east-2.compute.internal"]
    node_ip = {nodes[0]: "10.60.12.148", nodes[1]: "10.60.27.9", nodes[2]: "10.60.44.201"}
    zones = ["us-east-2a", "us-east-2b", "us-east-2c"]
    pods = [
        Pod("ledger-db-0", nodes[0], "10.60.13.52", "2026-04-07T03:15:22Z",
            [Ctr("postgres", pg_img), Ctr("metrics-exporter", ex_img)]),
        Pod("ledger-db-1", nodes[1], "10.60.28.117", "2026-04-07T03:12:40Z",
            [Ctr("postgres", pg_img, [kill], [10]), Ctr("metrics-exporter", ex_img)]),
        Pod("ledger-db-2", nodes[2], "10.60.45.88", "2026-04-07T03:10:05Z",
            [Ctr("postgres", pg_img), Ctr("metrics-exporter", ex_img)]),
    ]
    limit = 2 * GI
    base = {"ledger-db-0": (1330 * MI, 260 * MI, 0.15, 0.7),
            "ledger-db-1": (1150 * MI, 120 * MI, 0.05, 0.2),
            "ledger-db-2": (1185 * MI, 200 * MI, 0.05, 0.3)}
    tags0 = ["kube_cluster_name:us-2", "kube_namespace:payments", "kube_stateful_set:ledger-db",
             "env:prod", "service:ledger-db"]
    all_series = []
    for pod in pods:
        pg, ex = pod.containers
        b0, amp, c0, camp = base[pod.name]
        batch = pod.name == "ledger-db-1"

        def demand(t, age, b0=b0, amp=amp, batch=batch):
            d = b0 + amp * ledger_traffic(t)
            if batch:
                d += ledger_batch(t)
            return d

        ws = simulate_ws(pod, pg, R, demand, start_ws=545 * MI, limit=limit, tau_up=150,
                         tau_down=900, warm_tau=1500, ramp_s=540, clamp=limit - 7 * MI,
                         noise_sd=3 * MI, rng=rng)
        wsb = bucketize(ws, R)
        if stats:
            pts = sorted(wsb.items())
            nights = {}
            for t, v in pts:
                if 1.4 <= hours(t, 0) <= 3.1:
                    d = iso(t)[:10]
                    nights[d] = max(nights.get(d, 0), v)
            print(f"{pod.name} nightly ws peaks: " + ", ".join(
                f"{d[5:]} {v / MI:.0f}Mi" for d, v in sorted(nights.items())))

        def cpu(t, v, c0=c0, camp=camp, batch=batch):
            c = c0 + camp * ledger_traffic(t + 150)
            if batch and ledger_batch(t + 150) > 0 and t + 150 < kill:
                c += rng.uniform(1.3, 2.1)
            return c * 1e9 * (1 + rng.gauss(0, 0.08))

        all_series += container_series(
            pod, pg, R, tags0, wsb, limit=limit, request=limit,
            rss_fn=lambda t, v: max(60 * MI, v - 585 * MI - abs(rng.gauss(0, 12 * MI))),
            usage_fn=lambda t, v: min(limit - 900 * KI, v + rng.uniform(280, 420) * MI),
            cpu_fn=cpu, rng=rng)
        wse = simulate_ws(pod, ex, R, lambda t, age: 19 * MI + 4 * MI * ledger_traffic(t),
                          start_ws=12 * MI, limit=64 * MI, tau_up=300, tau_down=900,
                          warm_tau=120, ramp_s=60, clamp=50 * MI, noise_sd=0.3 * MI, rng=rng)
        all_series += container_series(
            pod, ex, R, tags0, bucketize(wse, R), limit=64 * MI, request=32 * MI,
            rss_fn=lambda t, v: v - 3 * MI, usage_fn=lambda t, v: v + 2 * MI,
            cpu_fn=lambda t, v: (0.003 + 0.004 * ledger_traffic(t)) * 1e9
            * (1 + rng.gauss(0, 0.1)), rng=rng)
    write_metrics(out / "state" / "metrics.json", all_series)

    # ---- kubernetes objects --------------------------------------------------------------
    objs = [namespace_obj(ids, ns, "2023-09-14T17:20:03Z", {
        "team": "ledger", "kustomize.toolkit.fluxcd.io/name": "payments",
        "kustomize.toolkit.fluxcd.io/namespace": "flux-system",
        "pod-security.kubernetes.io/enforce": "baseline"})]
    flux = {"kustomize.toolkit.fluxcd.io/name": "payments",
            "kustomize.toolkit.fluxcd.io/namespace": "flux-system"}
    sts_uid = ids.uid()
    labels, tpl_ann, tpl_spec = ledger_template()
    cur_hash, old_hash = "ledger-db-6b8f9c7d5d", "ledger-db-5d4c8b7f9"
    sts = {
        "apiVersion": "apps/v1", "kind": "StatefulSet",
        "metadata": {"name": "ledger-db", "namespace": ns, "uid": sts_uid,
                     "resourceVersion": ids.resource_version(), "generation": 6,
                     "creationTimestamp": "2023-09-14T17:24:51Z",
                     "labels": {**labels, **flux}, "annotations": {}},
        "spec": {
            "replicas": 3, "serviceName": "ledger-db", "podManagementPolicy": "OrderedReady",
            "revisionHistoryLimit": 10,
            "selector": {"matchLabels": {"app.kubernetes.io/name": "ledger-db"}},
            "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"partition": 0}},
            "persistentVolumeClaimRetentionPolicy": {"whenDeleted": "Retain",
                                                     "whenScaled": "Retain"},
            "template": {"metadata": {"creationTimestamp": None, "labels": dict(labels),
                                      "annotations": dict(tpl_ann)},
                         "spec": api_pod_spec(tpl_spec)},
            "volumeClaimTemplates": [{
                "apiVersion": "v1", "kind": "PersistentVolumeClaim",
                "metadata": {"creationTimestamp": None, "name": "data"},
                "spec": {"accessModes": ["ReadWriteOnce"], "storageClassName": "gp3",
                         "resources": {"requests": {"storage": "100Gi"}},
                         "volumeMode": "Filesystem"},
                "status": {"phase": "Pending"}}]},
        "status": {"observedGeneration": 6, "replicas": 3, "readyReplicas": 3,
                   "currentReplicas": 3, "updatedReplicas": 3, "availableReplicas": 3,
                   "currentRevision": cur_hash, "updateRevision": cur_hash,
                   "collisionCount": 0},
    }
    objs.append(sts)
    for name, rev, created, image in [(old_hash, 3, "2026-02-03T02:58:11Z",
                                       "registry.example.com/mirror/library/postgres:16.2"),
                                      (cur_hash, 4, "2026-04-07T03:10:03Z", pg_img)]:
        lb, an, sp = ledger_template()
        tpl = api_pod_spec(sp)
        tpl["containers"][0]["image"] = image
        lb = dict(lb)
        lb["tags.datadoghq.com/version"] = image.rsplit(":", 1)[1]
        objs.append({
            "apiVersion": "apps/v1", "kind": "ControllerRevision",
            "metadata": {"name": name, "namespace": ns, "uid": ids.uid(),
                         "resourceVersion": ids.resource_version(), "creationTimestamp": created,
                         "labels": {"app.kubernetes.io/name": "ledger-db",
                                    "controller.kubernetes.io/hash": name.rsplit("-", 1)[1]},
                         "annotations": {},
                         "ownerReferences": [owner("StatefulSet", "ledger-db", sts_uid)]},
            "data": {"spec": {"template": {"$patch": "replace", "metadata": {
                "annotations": an, "creationTimestamp": None, "labels": lb}, "spec": tpl}}},
            "revision": rev})
    pod_objs = {}
    for i, pod in enumerate(pods):
        lb = {**labels, "apps.kubernetes.io/pod-index": str(i),
              "controller-revision-hash": cur_hash,
              "statefulset.kubernetes.io/pod-name": pod.name}
        sp = copy.deepcopy(tpl_spec)
        sp["volumes"].insert(0, {"name": "data", "persistentVolumeClaim": {
            "claimName": f"data-{pod.name}"}})
        po = pod_obj(ids, pod, namespace=ns, labels=lb, annotations=dict(tpl_ann),
                     owner_ref=owner("StatefulSet", "ledger-db", sts_uid),
                     template_spec=sp, received=R, node_ip=node_ip[pod.node], images=digests,
                     hostname_subdomain=(pod.name, "ledger-db"))
        po["spec"]["affinity"] = copy.deepcopy(tpl_spec["affinity"])
        pod_objs[pod.name] = po
        objs.append(po)
    for i, pod in enumerate(pods):
        objs.append({
            "apiVersion": "v1", "kind": "PersistentVolumeClaim",
            "metadata": {"name": f"data-{pod.name}", "namespace": ns, "uid": ids.uid(),
                         "resourceVersion": ids.resource_version(),
                         "creationTimestamp": ["2023-09-14T17:24:52Z", "2023-09-14T17:26:31Z",
                                               "2023-09-14T17:28:02Z"][i],
                         "labels": {"app.kubernetes.io/name": "ledger-db"},
                         "annotations": {"pv.kubernetes.io/bind-completed": "yes",
                                         "pv.kubernetes.io/bound-by-controller": "yes",
                                         "volume.beta.kubernetes.io/storage-provisioner":
                                             "ebs.csi.aws.com",
                                         "volume.kubernetes.io/selected-node": pod.node,
                                         "volume.kubernetes.io/storage-provisioner":
                                             "ebs.csi.aws.com"},
                         "finalizers": ["kubernetes.io/pvc-protection"]},
            "spec": {"accessModes": ["ReadWriteOnce"], "storageClassName": "gp3",
                     "resources": {"requests": {"storage": "100Gi"}},
                     "volumeMode": "Filesystem", "volumeName": "pvc-" + ids.uid()},
            "status": {"phase": "Bound", "accessModes": ["ReadWriteOnce"],
                       "capacity": {"storage": "100Gi"}}})
    objs.append({
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": "ledger-db", "namespace": ns, "uid": ids.uid(),
                     "resourceVersion": ids.resource_version(),
                     "creationTimestamp": "2023-09-14T17:24:51Z",
                     "labels": {"app.kubernetes.io/name": "ledger-db", "team": "ledger", **flux},
                     "annotations": {}},
        "spec": {"clusterIP": "None", "clusterIPs": ["None"], "internalTrafficPolicy": "Cluster",
                 "ipFamilies": ["IPv4"], "ipFamilyPolicy": "SingleStack",
                 "ports": [{"name": "postgres", "port": 5432, "protocol": "TCP",
                            "targetPort": "postgres"}],
                 "publishNotReadyAddresses": True,
                 "selector": {"app.kubernetes.io/name": "ledger-db"},
                 "sessionAffinity": "None", "type": "ClusterIP"},
        "status": {"loadBalancer": {}}})
    objs.append({
        "apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
        "metadata": {"name": "ledger-db", "namespace": ns, "uid": ids.uid(),
                     "resourceVersion": ids.resource_version(), "generation": 1,
                     "creationTimestamp": "2023-09-14T17:24:51Z",
                     "labels": {"app.kubernetes.io/name": "ledger-db", "team": "ledger", **flux},
                     "annotations": {}},
        "spec": {"maxUnavailable": 1,
                 "selector": {"matchLabels": {"app.kubernetes.io/name": "ledger-db"}}},
        "status": {"currentHealthy": 3, "desiredHealthy": 2, "disruptionsAllowed": 1,
                   "expectedPods": 3, "observedGeneration": 1,
                   "conditions": [{"type": "DisruptionAllowed", "status": "True",
                                   "reason": "SufficientPods", "message": "",
                                   "observedGeneration": 1,
                                   "lastTransitionTime": iso(kill + 78)}]}})
    # ledger-db is the only workload in payments: 3 x (2Gi + 64Mi) limits = 6336Mi,
    # 3 x (2Gi + 32Mi) requests = 6240Mi.
    objs.append(quota_obj(ids, "payments-compute", ns, "2023-09-14T17:20:05Z",
                          {"limits.memory": "16Gi", "persistentvolumeclaims": "10", "pods": "20",
                           "requests.memory": "12Gi", "requests.storage": "1Ti"},
                          {"limits.memory": fmt_mi(3 * (2 * GI + 64 * MI)),
                           "persistentvolumeclaims": "3", "pods": "3",
                           "requests.memory": fmt_mi(3 * (2 * GI + 32 * MI)),
                           "requests.storage": "300Gi"}))
    objs.append(limitrange_obj(ids, "payments-defaults", ns, "2023-09-14T17:20:05Z", [
        {"type": "Container", "max": {"memory": "8Gi"}, "min": {"memory": "16Mi"},
         "default": {"memory": "256Mi"}, "defaultRequest": {"memory": "64Mi"}},
        {"type": "PersistentVolumeClaim", "max": {"storage": "500Gi"},
         "min": {"storage": "1Gi"}}]))
    node_objs = {}
    for name, zone, created in zip(nodes, zones, ["2026-04-02T09:12:40Z", "2026-04-02T09:14:02Z",
                                                  "2026-04-02T09:15:37Z"]):
        no = node_obj(ids, name, created=created, ip=node_ip[name], zone=zone,
                      region="us-east-2", itype="r6i.xlarge", cpu=4, mem_gi=32,
                      ami="ami-07a1c9e3b5d4f2a18", kubelet="v1.31.2-eks-7f9249a",
                      pool="db-r6i-xl", heartbeat=iso(R - 9))
        no["metadata"]["labels"]["workload-class"] = "database"
        no["spec"]["taints"] = [{"key": "workload-class", "value": "database",
                                 "effect": "NoSchedule"}]
        node_objs[name] = no
        objs.append(no)
    for po in pod_objs.values():
        po["spec"]["tolerations"].insert(0, {"key": "workload-class", "operator": "Equal",
                                             "value": "database", "effect": "NoSchedule"})
    sts["spec"]["template"]["spec"]["tolerations"] = [
        {"key": "workload-class", "operator": "Equal", "value": "database",
         "effect": "NoSchedule"}]
    p1 = pods[1]
    pg1 = p1.containers[0]
    start = kill + 10
    events = container_events(ids, p1, pod_objs["ledger-db-1"], pg1, ns, R, ready_msgs=[
        ("Readiness probe failed: /var/run/postgresql:5432 - rejecting connections",
         start + 4, start + 34, 4)])
    for i, (comm, anon, shmem) in enumerate([("postgres", 1_392_204, 604_112),
                                             ("postgres", 210_448, 598_220),
                                             ("postgres", 9_812, 524_688)]):
        events.append(oom_node_event(
            ids, node_objs[p1.node], kill + i * 0.02 if i else kill,
            pid=rng.randint(200_000, 400_000), comm=comm,
            total_vm_kb=rng.randint(2_380_000, 2_460_000), anon_kb=anon,
            file_kb=rng.randint(8_000, 12_000), shmem_kb=shmem, uid=999, adj=938))
    objs += events
    write(out / "state" / "kubernetes.yaml", "---\n".join(dump_yaml(o) for o in objs))

    # ---- logs ----------------------------------------------------------------------------
    logs = []

    def pg_tags(pod, ctr="postgres", source="postgresql"):
        return [f"source:{source}", "env:prod", "kube_cluster_name:us-2",
                "kube_namespace:payments", "kube_stateful_set:ledger-db", f"pod_name:{pod.name}",
                f"kube_container_name:{ctr}", "service:ledger-db", "team:ledger",
                "version:16.3" if ctr == "postgres" else "version:v0.15.0"]

    def pg(pod, t, status, msg, extra=None):
        pid = rng.randint(100_000, 400_000)
        stamp = iso(t, ms=True).replace("T", " ").replace("Z", " UTC")
        attrs = {"db": {"user": "ledger_reconcile", "instance": "ledger"}, "pid": pid,
                 "level": msg.split(":", 1)[0]}
        if extra:
            attrs.update(extra)
        logs.append(log_event(ids, t, status=status, service="ledger-db", host=pod.node,
                              message=f"{stamp} [{pid}] {msg}", tags=pg_tags(pod), attrs=attrs))

    def batch(t, status, msg, extra=None):
        logs.append(log_event(
            ids, t, status=status, service="ledger-reconcile",
            host=rng.choice(["ip-10-60-8-77.us-east-2.compute.internal"]), message=msg,
            tags=["source:python", "env:prod", "kube_cluster_name:us-2",
                  "kube_namespace:ledger-jobs", "kube_cronjob:ledger-reconcile",
                  "kube_job:ledger-reconcile-29652570", "service:ledger-reconcile",
                  "team:ledger"],
            attrs={"logger": {"name": "reconcile.runner"}, **(extra or {})}))

    b0 = epoch("2026-05-19T01:30:00Z")
    batch(b0 + 3.2, "info", "ledger-reconcile 2.7.1 starting (target=ledger-db-1.ledger-db."
          "payments.svc:5432, window=2026-05-01..2026-05-19)")
    batch(b0 + 4.1, "info", "stage 1/3 balances_by_account started")
    batch(b0 + 1796.4, "info", "stage 1/3 balances_by_account finished in 1792.3s (rows=4212553)")
    batch(b0 + 1797.0, "info", "stage 2/3 fx_revaluation started")
    batch(b0 + 3540.7, "info", "stage 2/3 fx_revaluation finished in 1743.7s (rows=981340)")
    batch(b0 + 3541.2, "info", "stage 3/3 daily_settlement_rollup started (parallel hash "
          "aggregate over month-to-date ledger_entries: 31.4M rows, +17% vs previous run; "
          "includes marketplace payouts since 2026-05-18)")
    q3 = ("SELECT e.account_id, date_trunc('day', e.booked_at) AS day, e.currency, "
          "sum(e.amount_minor) AS total, count(*) AS n FROM ledger_entries e JOIN postings p "
          "ON p.entry_id = e.id WHERE e.booked_at >= $1 AND e.booked_at < $2 "
          "GROUP BY 1, 2, 3")
    p_by_name = {p.name: p for p in pods}
    t = R - 3600
    while t < kill - 30:
        t += rng.uniform(150, 330)
        if t >= kill - 30:
            break
        r = rng.random()
        if r < 0.45:
            ms = rng.uniform(5100, 61000)
            pg(p1, t, "warn", f"LOG:  duration: {ms:.3f} ms  execute <unnamed>: " + rng.choice([
                "SELECT account_id, sum(amount_minor) FROM ledger_entries WHERE booked_at >= $1 "
                "AND booked_at < $2 GROUP BY account_id",
                "SELECT * FROM fx_rates WHERE valid_from <= $1 ORDER BY valid_from DESC",
                q3]), {"duration": int(ms * 1e6)})
        elif r < 0.7:
            pg(p1, t, "info", f"LOG:  temporary file: path \"base/pgsql_tmp/pgsql_tmp"
               f"{rng.randint(100000, 400000)}.{rng.randint(0, 9)}\", size "
               f"{rng.choice([268435456, 536870912, 1073741824])}")
        else:
            pg(p1, t, "info", "LOG:  restartpoint starting: time")
    for off in (720, 405, 190):
        pg(p1, kill - off, "warn", f"LOG:  duration: {rng.uniform(38000, 95000):.3f} ms  "
           f"execute <unnamed>: {q3}")
    pg(p1, kill - 96.4, "error", "ERROR:  out of memory",
       {"error": {"message": "out of memory",
                  "detail": "Failed on request of size 33554432 in memory context "
                            "\"HashBatchContext\"."}})
    pg(p1, kill - 96.3, "error", "DETAIL:  Failed on request of size 33554432 in memory "
       "context \"HashBatchContext\".")
    pg(p1, kill - 96.3, "error", f"STATEMENT:  {q3}")
    pg(p1, kill - 41.8, "error", "ERROR:  could not resize shared memory segment "
       "\"/PostgreSQL.2213597430\" to 67108864 bytes: No space left on device")
    batch(kill - 96.1, "warn", "stage 3/3 worker 2 failed (out of memory), retrying partition "
          "2026-05-12 with work_mem=32MB")
    batch(kill + 0.4, "error", "stage 3/3 daily_settlement_rollup failed",
          {"error": {"kind": "psycopg.OperationalError",
                     "message": "consuming input failed: server closed the connection "
                                "unexpectedly\n\tThis probably means the server terminated "
                                "abnormally\n\tbefore or while processing the request."}})
    batch(kill + 1.2, "error", "ledger-reconcile run failed after 4551.9s; exit 1 "
          "(next scheduled run 2026-05-20T01:30:00Z)")
    s = kill + 10
    for off, st, msg in [
            (0.9, "info", "LOG:  starting PostgreSQL 16.3 (Debian 16.3-1.pgdg120+1) on "
                          "x86_64-pc-linux-gnu, compiled by gcc (Debian 12.2.0-14) 12.2.0, 64-bit"),
            (0.95, "info", "LOG:  listening on IPv4 address \"0.0.0.0\", port 5432"),
            (1.1, "info", "LOG:  database system was interrupted while in recovery at log time "
                          "2026-05-19 02:41:10 UTC"),
            (1.1, "info", "HINT:  If this has occurred more than once some data might be "
                          "corrupted and you might need to choose an earlier recovery target."),
            (1.3, "info", "LOG:  entering standby mode"),
            (1.4, "info", "LOG:  redo starts at 3A/5C0012F8"),
            (6.2, "error", "FATAL:  the database system is not yet accepting connections"),
            (17.5, "error", "FATAL:  the database system is not yet accepting connections"),
            (29.8, "info", "LOG:  consistent recovery state reached at 3A/5E9A0C10"),
            (29.9, "info", "LOG:  database system is ready to accept read-only connections"),
            (30.4, "info", "LOG:  started streaming WAL from primary at 3A/5F000000 on "
                           "timeline 1")]:
        pg(p1, s + off, st, msg)
    for off in (5.8, 20.4, 35.1):
        logs.append(log_event(
            ids, s - 10 + off, status="error", service="ledger-db", host=p1.node,
            message=f'ts={iso(s - 10 + off, ms=True)} caller=collector.go:196 level=error '
                    f'msg="collector failed" name=database err="dial tcp 127.0.0.1:5432: '
                    f'connect: connection refused"',
            tags=pg_tags(p1, "metrics-exporter", "postgres_exporter"), attrs={}))
    p0 = p_by_name["ledger-db-0"]
    pg(p0, kill + 0.8, "info", "LOG:  unexpected EOF on standby connection")
    for _ in range(6):
        tt = rng.uniform(R - 3600, R)
        pg(p0, tt, "info", "LOG:  checkpoint starting: time" if rng.random() < 0.5 else
           f"LOG:  checkpoint complete: wrote {rng.randint(900, 6000)} buffers "
           f"({rng.uniform(1, 9):.1f}%); 0 WAL file(s) added, 0 removed, "
           f"{rng.randint(1, 4)} recycled; write={rng.uniform(50, 270):.3f} s, "
           f"sync={rng.uniform(0.001, 0.2):.3f} s, total={rng.uniform(50, 270):.3f} s")
    for _ in range(12):
        tt = rng.uniform(R - 3600, R)
        ms = rng.randint(6, 40)
        logs.append(log_event(
            ids, tt, status="info", service="ledger-api",
            host=rng.choice(["ip-10-60-8-77.us-east-2.compute.internal",
                             "ip-10-60-21-140.us-east-2.compute.internal"]),
            message=f"POST /v1/transfers 201 {ms}ms", tags=[
                "source:go", "env:prod", "kube_cluster_name:us-2", "kube_namespace:ledger",
                "kube_deployment:ledger-api", "service:ledger-api", "team:ledger"],
            attrs={"http": {"method": "POST", "status_code": 201}, "duration": ms * 1_000_000}))
    logs.append(log_event(
        ids, kill + 2.3, status="warn", service="ledger-api",
        host="ip-10-60-21-140.us-east-2.compute.internal",
        message="read replica ledger-db-1 unavailable (connection reset), routing reads to "
                "ledger-db-2", tags=["source:go", "env:prod", "kube_cluster_name:us-2",
                                     "kube_namespace:ledger", "kube_deployment:ledger-api",
                                     "service:ledger-api", "team:ledger"], attrs={}))
    write_logs(out / "state" / "logs.jsonl", logs)

    # ---- alert ---------------------------------------------------------------------------
    scope = ["kube_cluster_name:us-2", "kube_container_name:postgres", "kube_namespace:payments",
             "kube_stateful_set:ledger-db", "pod_name:ledger-db-1"]
    title = "[Triggered on {" + ",".join(scope) + "}] ledger-db container OOMKilled"
    status = ("kubernetes.containers.last_state.terminated over " + ",".join(scope)
              + ",reason:oomkilled was > 0.0 at least once during the last 10m.")
    body = ("postgres in ledger-db-1 (payments, us-2) was OOMKilled, exit code 137.\n"
            "ledger-db-1 is the reporting replica that the nightly \"ledger-reconcile\" job "
            "reads from; check whether the job is running before restarting anything.\n"
            "KFIX value=1.0 threshold=0.0 warn_threshold= comparator=> @webhook-kfix\n"
            "@pagerduty-ledger-primary @slack-ledger-alerts\n\n" + status)
    alert = alert_payload(
        ids, received=R, title=title, body=body, priority="P1", status=status,
        metric="kubernetes.containers.last_state.terminated",
        query=("max(last_10m):max:kubernetes.containers.last_state.terminated{reason:oomkilled,"
               "kube_cluster_name:us-2,kube_namespace:payments} by {kube_cluster_name,"
               "kube_namespace,kube_stateful_set,kube_container_name,pod_name} > 0"),
        scope_tags=scope, monitor_tags=["env:prod", "team:ledger", "service:ledger-db"],
        snapshot="https://p.datadoghq.eu/snapshot/view/dd-snapshots-eu1-prod/org_1000231842/"
                 "2026-05-19/" + ids.hex(40) + ".png",
        org=ORG)
    write(out / "alert.json", json.dumps(alert, indent=2, ensure_ascii=False) + "\n")


LEDGER_INCIDENT = """\
format: kfix-incident/v1
id: oom-ledger-db-0519
title: ledger-db-1 postgres OOMKilled during the nightly reconcile batch
alert_type: oom_killed
env: prod
cluster: us-2
received_at: "2026-05-19T02:47:33Z"
gitops:
  project: platform/fleet
  target_branch: main
workload:
  kind: StatefulSet
  namespace: payments
  name: ledger-db
expected:
  decision: fix
  accept:
    - action: set_resources
      container: postgres
      memory_limit: {min: 2560Mi, max: 4Gi}
  reject:
    - action: scale_replicas
      why: the batch runs against one replica and every replica holds a full copy; more replicas do not lower the memory of the query that was killed
source: synthetic
notes: |
  ledger-db-1 (a streaming replica that the nightly ledger-reconcile job reads from) had its
  postgres container OOMKilled at 02:45:52 UTC (exitCode 137, restartCount 1; the other two
  pods and the metrics-exporter sidecars are untouched). The kernel-monitor events show a
  memory-cgroup kill of the whole container (memory.oom.group on cgroup v2), and postgres came
  back through crash recovery as a standby. Working set of postgres on ledger-db-1 reached
  2.0Gi (the 2Gi limit) in stage 3 of the batch, a parallel hash aggregate over month-to-date
  ledger entries; the same stage peaked at 1.83-1.92Gi on the previous six nights and grows
  with the month, and tonight's run was the first to include marketplace payouts (+17% rows,
  per the job's log). Postgres logged "out of memory" (HashBatchContext) and a failed /dev/shm
  resize just before the kill; parallel-query shared memory in the memory-backed /dev/shm
  counts against the container limit. kubernetes.memory.usage sits near 2Gi on all three pods
  every day because it includes page cache; it is not the signal.

  Right answer: raise the postgres memory limit. 1.25 x 2Gi = 2560Mi is the floor, 4Gi (2x)
  the most the evidence supports. The request may stay at 2Gi or follow the limit. Room:
  ResourceQuota payments-compute limits.memory 16Gi with 6336Mi used (exactly the three pods:
  3 x (2Gi + 64Mi)), so even 3 x (4Gi + 64Mi) = 12480Mi fits; requests.memory 12Gi
  (6240Mi used) also fits a request of up to 4Gi; LimitRange max 8Gi per container; nodes are
  r6i.xlarge (32Gi). The StatefulSet rolls one pod at a time (no surge). Human follow-up, not
  part of the plan: lower work_mem or max_parallel_workers_per_gather for the reconcile role.

  Wrong answers: scale_replicas (the batch targets ledger-db-1 and each replica is a full
  copy), touching metrics-exporter (about 22Mi of 64Mi, never restarted), restart (it already
  restarted; the next batch would kill it again).
"""

LEDGER_STS_YAML = """\
# ledger-db: PostgreSQL 16 for the ledger service.
#   ledger-db-0  primary (ledger-api writes)
#   ledger-db-1  streaming replica, reporting (ledger-reconcile CronJob reads here at 01:30 UTC)
#   ledger-db-2  streaming replica, ledger-api reads
# Owner: team ledger. Reconciled by Flux (Kustomization flux-system/payments).
# Init scripts (replication setup) come from the ledger-db-init ConfigMap in ../common,
# credentials from the ledger-db-credentials ExternalSecret.
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: ledger-db
  labels:
    app.kubernetes.io/name: ledger-db
    app.kubernetes.io/component: database
    app.kubernetes.io/part-of: ledger
    team: ledger
    tags.datadoghq.com/env: prod
    tags.datadoghq.com/service: ledger-db
    tags.datadoghq.com/version: "16.3"
spec:
  serviceName: ledger-db
  replicas: 3
  podManagementPolicy: OrderedReady
  updateStrategy:
    type: RollingUpdate
    rollingUpdate:
      partition: 0
  persistentVolumeClaimRetentionPolicy:
    whenDeleted: Retain
    whenScaled: Retain
  selector:
    matchLabels:
      app.kubernetes.io/name: ledger-db
  template:
    metadata:
      labels:
        app.kubernetes.io/name: ledger-db
        app.kubernetes.io/component: database
        app.kubernetes.io/part-of: ledger
        team: ledger
        tags.datadoghq.com/env: prod
        tags.datadoghq.com/service: ledger-db
        tags.datadoghq.com/version: "16.3"
      annotations:
        ad.datadoghq.com/postgres.logs: '[{"source":"postgresql","service":"ledger-db"}]'
        ad.datadoghq.com/metrics-exporter.logs: '[{"source":"postgres_exporter","service":"ledger-db"}]'
    spec:
      serviceAccountName: ledger-db
      terminationGracePeriodSeconds: 120   # allow a clean fast shutdown + checkpoint
      securityContext:
        fsGroup: 999
      tolerations:
        - key: workload-class
          operator: Equal
          value: database
          effect: NoSchedule
      affinity:
        podAntiAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:
            - labelSelector:
                matchLabels:
                  app.kubernetes.io/name: ledger-db
              topologyKey: kubernetes.io/hostname
      containers:
        - name: postgres
          image: registry.example.com/mirror/library/postgres:16.3
          args:
            # memory: shared_buffers + work_mem per sort/hash node per worker + /dev/shm (DSM)
            - -c
            - shared_buffers=512MB
            - -c
            - effective_cache_size=1536MB
            - -c
            - work_mem=64MB
            - -c
            - maintenance_work_mem=256MB
            - -c
            - max_connections=200
            - -c
            - max_parallel_workers_per_gather=4
            - -c
            - hot_standby_feedback=on
            - -c
            - log_min_duration_statement=5000
            - -c
            - log_temp_files=0
          ports:
            - name: postgres
              containerPort: 5432
          env:
            - name: PGDATA
              value: /var/lib/postgresql/data/pgdata
            - name: POSTGRES_DB
              value: ledger
            - name: POSTGRES_PASSWORD
              valueFrom:
                secretKeyRef:
                  name: ledger-db-credentials
                  key: postgres-password
            - name: LEDGER_PRIMARY_HOST
              value: ledger-db-0.ledger-db
          resources:
            requests:
              cpu: "1"
              memory: 2Gi
            limits:
              memory: 2Gi   # sized in 2023 for ~1.3Gi peak; no CPU limit for the database
          volumeMounts:
            - name: data
              mountPath: /var/lib/postgresql/data
            - name: dshm
              mountPath: /dev/shm
            - name: init-scripts
              mountPath: /docker-entrypoint-initdb.d
          livenessProbe:
            exec:
              command: ["pg_isready", "-U", "postgres"]
            initialDelaySeconds: 30
            periodSeconds: 15
            timeoutSeconds: 5
            failureThreshold: 6
          readinessProbe:
            exec:
              command: ["pg_isready", "-U", "postgres"]
            periodSeconds: 10
            timeoutSeconds: 5
        - name: metrics-exporter
          image: quay.io/prometheuscommunity/postgres-exporter:v0.15.0
          ports:
            - name: metrics
              containerPort: 9187
          env:
            - name: DATA_SOURCE_URI
              value: 127.0.0.1:5432/ledger?sslmode=disable
            - name: DATA_SOURCE_USER
              value: postgres_exporter
            - name: DATA_SOURCE_PASS
              valueFrom:
                secretKeyRef:
                  name: ledger-db-credentials
                  key: exporter-password
          resources:
            requests:
              memory: 32Mi
            limits:
              memory: 64Mi
      volumes:
        - name: dshm          # parallel query dynamic shared memory; counts as container memory
          emptyDir:
            medium: Memory
            sizeLimit: 1Gi
        - name: init-scripts
          configMap:
            name: ledger-db-init
  volumeClaimTemplates:
    - metadata:
        name: data
      spec:
        accessModes: ["ReadWriteOnce"]
        storageClassName: gp3
        resources:
          requests:
            storage: 100Gi
"""

LEDGER_KUSTOMIZATION = """\
# clusters/us-2/payments/ledger-db
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: payments
resources:
  - statefulset.yaml
  - service.yaml
  - pdb.yaml
"""

LEDGER_SERVICE = """\
# Headless service: stable DNS ledger-db-N.ledger-db.payments.svc for each member.
apiVersion: v1
kind: Service
metadata:
  name: ledger-db
  labels:
    app.kubernetes.io/name: ledger-db
    team: ledger
spec:
  clusterIP: None
  publishNotReadyAddresses: true
  selector:
    app.kubernetes.io/name: ledger-db
  ports:
    - name: postgres
      port: 5432
      targetPort: postgres
"""

LEDGER_PDB = """\
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: ledger-db
  labels:
    app.kubernetes.io/name: ledger-db
    team: ledger
spec:
  maxUnavailable: 1
  selector:
    matchLabels:
      app.kubernetes.io/name: ledger-db
"""


def write_ledger(out: Path, stats: bool):
    build_ledger(out, stats)
    write(out / "incident.yaml", LEDGER_INCIDENT)
    base = out / "gitops" / "clusters" / "us-2" / "payments" / "ledger-db"
    write(base / "statefulset.yaml", LEDGER_STS_YAML)
    write(base / "kustomization.yaml", LEDGER_KUSTOMIZATION)
    write(base / "service.yaml", LEDGER_SERVICE)
    write(base / "pdb.yaml", LEDGER_PDB)


# ==========================================================================================
# consistency checks and main
# ==========================================================================================


def _workload_from_gitops(folder: Path, kind: str):
    for f in sorted((folder / "gitops").rglob("*.yaml")):
        for doc in yaml.safe_load_all(f.read_text()):
            if doc and doc.get("kind") == kind:
                return doc
    raise SystemExit(f"{folder.name}: no {kind} in gitops/")


def check_consistency(folder: Path):
    """The GitOps manifest must describe the live workload: same containers, images,
    resources, replicas, selector and template labels."""
    inc = yaml.safe_load((folder / "incident.yaml").read_text())
    kind, name = inc["workload"]["kind"], inc["workload"]["name"]
    live = next(d for d in yaml.safe_load_all((folder / "state" / "kubernetes.yaml").read_text())
                if d and d["kind"] == kind and d["metadata"]["name"] == name)
    git = _workload_from_gitops(folder, kind)
    problems = []

    def same(what, a, b):
        if a != b:
            problems.append(f"{what}: live {a!r} != gitops {b!r}")

    same("replicas", live["spec"]["replicas"], git["spec"]["replicas"])
    same("selector", live["spec"]["selector"], git["spec"]["selector"])
    same("template labels", live["spec"]["template"]["metadata"]["labels"],
         git["spec"]["template"]["metadata"]["labels"])
    lc = {c["name"]: c for c in live["spec"]["template"]["spec"]["containers"]}
    gc = {c["name"]: c for c in git["spec"]["template"]["spec"]["containers"]}
    same("containers", list(lc), list(gc))
    for n in lc:
        if n in gc:
            same(f"{n}.image", lc[n]["image"], gc[n]["image"])
            same(f"{n}.resources", lc[n]["resources"], gc[n]["resources"])
            same(f"{n}.args", lc[n].get("args"), gc[n].get("args"))
            same(f"{n}.env", [e["name"] for e in lc[n].get("env", [])],
                 [e["name"] for e in gc[n].get("env", [])])
    pods = [d for d in yaml.safe_load_all((folder / "state" / "kubernetes.yaml").read_text())
            if d and d["kind"] == "Pod"]
    sel = live["spec"]["selector"]["matchLabels"]
    for p in pods:
        if not all(p["metadata"]["labels"].get(k) == v for k, v in sel.items()):
            problems.append(f"pod {p['metadata']['name']} does not match the selector")
        for c in p["spec"]["containers"]:
            same(f"pod {p['metadata']['name']} {c['name']}.resources", c["resources"],
                 lc[c["name"]]["resources"])
    alert = json.loads((folder / "alert.json").read_text())
    same("alert date", int(alert["date"]) // 1000, epoch(inc["received_at"]))
    if problems:
        raise SystemExit(f"{folder.name}: " + "; ".join(problems))


BUILDERS = {"oom-checkout-0314": write_checkout,
            "mem-pressure-orders-0402": write_orders,
            "oom-ledger-db-0519": write_ledger}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=str(REPO / "datasets" / "samples"))
    ap.add_argument("--stats", action="store_true", help="print metric shape statistics")
    args = ap.parse_args()
    out = Path(args.out)
    for name, build in BUILDERS.items():
        folder = out / name
        for sub in ("state", "gitops"):
            d = folder / sub
            if d.exists():
                for f in sorted(d.rglob("*"), reverse=True):
                    f.unlink() if f.is_file() else f.rmdir()
        build(folder, args.stats)
        check_consistency(folder)
        print(f"wrote {folder}")


if __name__ == "__main__":
    main()
