"""Shared building blocks for the recorded-incident generators (kfix-incident/v1).

gen_eval.py builds datasets/eval/ from scenario builders and parameter tables; this module holds
what every scenario needs: the workload model (revisions, ReplicaSets / ControllerRevisions, pods
with container states), Kubernetes objects as the API returns them, metric series, log events,
the webhook payload, GitOps rendering in several styles (plain, multi-document, flow maps, kustomize
base + overlay), a small kustomize renderer and the live-vs-GitOps consistency check, and the
sizing bands of shared/reference/remediation.md (§7.2) computed from an incident's own series.

The low-level helpers (ids, time, YAML dumper, object builders, alert payload, log events) are
imported from gen_samples.py, so the samples and the eval set share one implementation.
Deterministic: every random choice comes from the incident's random.Random, nothing reads the
clock, and dictionaries are emitted in insertion order.
"""
import copy
import difflib
import json
import math
import random
import re
import sys
import zlib
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
import gen_samples as gs  # noqa: E402

from gen_samples import (KI, MI, GI, STEP, HASH_CHARS, epoch, iso, hours, gauss,  # noqa: E402,F401
                         day_factor, Ids, dump_yaml, write, api_pod_spec, owner, cond,
                         event_obj, namespace_obj, node_obj, quota_obj, limitrange_obj,
                         log_event, write_logs, trace_ids, alert_payload, kube_api_volume,
                         DEFAULT_TOLERATIONS)

REPO = Path(__file__).resolve().parents[2]
WEEK = 2016          # 7 days of 300 s points
DAY = 288
HOUR = 12

# -- quantities ------------------------------------------------------------------------------

_BIN = {"Ki": KI, "Mi": MI, "Gi": GI, "Ti": GI * 1024}
_DEC = {"n": 1e-9, "u": 1e-6, "m": 1e-3, "": 1, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12}


def qty(s) -> float:
    """A Kubernetes quantity as a number (bytes, cores)."""
    if isinstance(s, (int, float)):
        return float(s)
    m = re.fullmatch(r"([0-9.]+)([a-zA-Z]*)", str(s))
    num, suf = float(m.group(1)), m.group(2)
    if suf in _BIN:
        return num * _BIN[suf]
    return num * _DEC[suf]


def mi(b) -> str:
    """Bytes as an integer Mi (or Gi when exact) quantity, rounded to the nearest Mi."""
    n = int(round(b / MI))
    return f"{n // 1024}Gi" if n % 1024 == 0 and n >= 1024 else f"{n}Mi"


def mi_up(b) -> str:
    n = int(math.ceil(b / MI - 1e-9))
    return f"{n // 1024}Gi" if n % 1024 == 0 and n >= 1024 else f"{n}Mi"


def mi_down(b) -> str:
    n = int(math.floor(b / MI + 1e-9))
    return f"{n // 1024}Gi" if n % 1024 == 0 and n >= 1024 else f"{n}Mi"


def milli(c) -> str:
    """Cores as a CPU quantity (whole cores when exact, else Nm)."""
    m = int(round(c * 1000))
    return str(m // 1000) if m % 1000 == 0 else f"{m}m"


def milli_up(c) -> str:
    m = int(math.ceil(c * 1000 - 1e-9))
    return str(m // 1000) if m % 1000 == 0 else f"{m}m"


def milli_down(c) -> str:
    m = int(math.floor(c * 1000 + 1e-9))
    return str(m // 1000) if m % 1000 == 0 else f"{m}m"


def pct(values, p):
    v = sorted(values)
    if not v:
        return 0.0
    return v[min(len(v) - 1, int(p / 100.0 * len(v)))]


# -- sizing bands (remediation.md §7.2, §5.1, §5.2, §5.3, §5.8, §5.11, §5.12, §6.4) -----------


def mem_raise_band(old_limit, peak_ws, cap=None):
    """§7.2 'Memory after OOM': new limit >= max(old x1.2, old+100Mi, peakWS x1.15) and <= 2 x old
    unless the peak demands more; capped by LimitRange max / quota headroom (cap)."""
    lo = max(old_limit * 1.2, old_limit + 100 * MI, peak_ws * 1.15)
    hi = 2 * old_limit
    if lo > hi:
        hi = lo * 1.25
    if cap is not None:
        hi = min(hi, cap)
    return lo, hi


def cpu_request_band(p95, p90):
    """§7.2 'CPU request: within ±25 % of P95 usage (KRR) or P90 x1.15 (VPA)'."""
    vpa = p90 * 1.15
    return min(p95, vpa) * 0.75, max(p95, vpa) * 1.25


def cpu_limit_raise_band(old_limit, p99, cap=None):
    """§5.2 remediation 2: raise limits.cpu to max(limit x1.5, P99 x1.2); accepted from
    max(limit x1.2, P99 x1.2) up to the §6.7 change factor 3x (capped by LimitRange/quota)."""
    lo = max(old_limit * 1.2, p99 * 1.2)
    hi = 3 * old_limit
    if cap is not None:
        hi = min(hi, cap)
    return lo, hi


def quota_pod_cap(hard, used, workload_current, replicas, surge, other_containers=0.0):
    """§6.4 rollout math, worst case: used - current + (replicas + surge) x new_pod <= hard.
    Returns the largest value the container may take."""
    per_pod = (hard - used + workload_current) / float(replicas + surge)
    return per_pod - other_containers


def rng_range(lo, hi, fmt_lo, fmt_hi):
    if lo > hi:
        raise SystemExit(f"empty accept range {lo} > {hi}")
    return {"min": fmt_lo(lo), "max": fmt_hi(hi)}


# -- text helpers ------------------------------------------------------------------------------


_PLAIN_SAFE = re.compile(r"^[A-Za-z0-9_./@%+\-][A-Za-z0-9_./@%+\-:=]*$")


def yscalar(v, quote=False, flow=False):
    """One YAML scalar as the GitOps files write it."""
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    s = str(v)
    if quote:
        return json.dumps(s, ensure_ascii=False)
    r = yaml.safe_dump(s, default_flow_style=True, width=10 ** 6, allow_unicode=True)
    if r.endswith("\n...\n"):
        r = r[:-5]
    r = r.strip()
    if flow and not (r.startswith("'") or r.startswith('"')) and not _PLAIN_SAFE.match(r):
        return json.dumps(s)
    if r.startswith("'") and '"' not in s and "\\" not in s:
        return json.dumps(s, ensure_ascii=False)        # the teams here prefer double quotes
    return r


class Style:
    """How one GitOps file is written."""

    def __init__(self, flow=(), quote=False, indent_seq=True, comments=None, inline=None,
                 flow_scalar_lists=False):
        self.flow = set(flow)            # keys whose mapping/list values are written inline
        self.quote = quote               # double-quote every string value
        self.indent_seq = indent_seq     # "key:\n  - a" (True) or "key:\n- a" (False)
        self.comments = comments or {}   # key path -> comment lines written above the key
        self.inline = inline or {}       # key path -> trailing comment
        self.flow_scalar_lists = flow_scalar_lists


def _flow(v, st):
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k}: {_flow(x, st)}" for k, x in v.items()) + "}"
    if isinstance(v, list):
        return "[" + ", ".join(_flow(x, st) for x in v) + "]"
    return yscalar(v, st.quote, flow=True)


def _is_range(v):
    return isinstance(v, dict) and v and set(v) <= {"min", "max"}


def _emit_map(d, ind, path, st, out):
    sp = " " * ind
    for k, v in d.items():
        p = path + (k,)
        for c in st.comments.get(p, ()):
            out.append(f"{sp}# {c}" if c else f"{sp}#")
        tail = f"   # {st.inline[p]}" if p in st.inline else ""
        if isinstance(v, dict):
            if not v:
                out.append(f"{sp}{k}: {{}}{tail}")
            elif k in st.flow or _is_range(v):
                out.append(f"{sp}{k}: {_flow(v, st)}{tail}")
            else:
                out.append(f"{sp}{k}:{tail}")
                _emit_map(v, ind + 2, p, st, out)
        elif isinstance(v, list):
            if not v:
                out.append(f"{sp}{k}: []{tail}")
            elif k in st.flow or (st.flow_scalar_lists and all(
                    not isinstance(x, (dict, list)) for x in v)):
                out.append(f"{sp}{k}: {_flow(v, st)}{tail}")
            else:
                out.append(f"{sp}{k}:{tail}")
                _emit_list(v, ind + (2 if st.indent_seq else 0), p, st, out)
        elif isinstance(v, str) and "\n" in v:
            out.append(f"{sp}{k}: |{tail}")
            for line in v.rstrip("\n").split("\n"):
                out.append(f"{sp}  {line}" if line else "")
        else:
            out.append(f"{sp}{k}: {yscalar(v, st.quote)}{tail}")


def _emit_list(lst, ind, path, st, out):
    sp = " " * ind
    for item in lst:
        if isinstance(item, dict) and item:
            key = item.get("name", item.get("containerPort", ""))
            p = path + (str(key),)
            for c in st.comments.get(p, ()):
                out.append(f"{sp}# {c}" if c else f"{sp}#")
            lines = []
            _emit_map(item, ind + 2, p, st, lines)
            i = next(n for n, line in enumerate(lines) if not line.lstrip().startswith("#"))
            lines[i] = sp + "- " + lines[i][ind + 2:]
            out.extend(lines)
        elif isinstance(item, (dict, list)):
            out.append(f"{sp}- {_flow(item, st)}")
        else:
            out.append(f"{sp}- {yscalar(item, st.quote)}")


def emit_yaml(doc, st=None, header=()):
    st = st or Style()
    out = [f"# {c}" if c else "#" for c in header]
    _emit_map(doc, 0, (), st, out)
    return "\n".join(out) + "\n"


def emit_docs(docs, styles, header=()):
    parts = []
    for i, (d, s) in enumerate(zip(docs, styles)):
        parts.append(emit_yaml(d, s, header if i == 0 else ()))
    return "---\n".join(parts)


# -- strategic merge and a small kustomize ---------------------------------------------------

_MERGE_KEYS = {"containers": "name", "initContainers": "name", "env": "name", "volumes": "name",
               "volumeMounts": "mountPath", "ports": "containerPort"}


def smp(base, patch):
    """Strategic merge patch: maps merged, lists with a merge key merged by it, others replaced."""
    if not isinstance(base, dict) or not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = copy.deepcopy(base)
    for k, v in patch.items():
        if v is None:
            out.pop(k, None)
        elif k in _MERGE_KEYS and isinstance(v, list) and isinstance(out.get(k), list):
            key = _MERGE_KEYS[k]
            items = [copy.deepcopy(x) for x in out[k]]
            for pv in v:
                for n, bv in enumerate(items):
                    if bv.get(key) == pv.get(key):
                        items[n] = smp(bv, pv)
                        break
                else:
                    items.append(copy.deepcopy(pv))
            out[k] = items
        elif isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = smp(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


def kustomize(files, entry):
    """Renders the kustomization at `entry` (a folder path inside the GitOps repo) from the
    {path: text} files: resources (files or folders), patches / patchesStrategicMerge,
    images (newName/newTag), replicas, namespace."""
    kpath = f"{entry}/kustomization.yaml"
    k = yaml.safe_load(files[kpath])
    docs = []
    for r in k.get("resources", []):
        rp = _norm(f"{entry}/{r}")
        if f"{rp}/kustomization.yaml" in files:
            docs += kustomize(files, rp)
        else:
            docs += [d for d in yaml.safe_load_all(files[rp]) if d]
    patches = [p["path"] if isinstance(p, dict) else p for p in
               k.get("patches", []) + k.get("patchesStrategicMerge", [])]
    for pp in patches:
        for patch in yaml.safe_load_all(files[_norm(f"{entry}/{pp}")]):
            for n, d in enumerate(docs):
                if d["kind"] == patch["kind"] and d["metadata"]["name"] == patch["metadata"]["name"]:
                    docs[n] = smp(d, patch)
    for im in k.get("images", []):
        for d in docs:
            for c in _containers(d):
                repo, _, tag = c["image"].rpartition(":")
                if repo == im["name"]:
                    c["image"] = f"{im.get('newName', repo)}:{im.get('newTag', tag)}"
    for rep in k.get("replicas", []):
        for d in docs:
            if d["metadata"]["name"] == rep["name"] and "replicas" in d.get("spec", {}):
                d["spec"]["replicas"] = rep["count"]
    if "namespace" in k:
        for d in docs:
            d["metadata"]["namespace"] = k["namespace"]
    return docs


def _norm(p):
    parts = []
    for x in p.split("/"):
        if x == "..":
            parts.pop()
        elif x and x != ".":
            parts.append(x)
    return "/".join(parts)


def _containers(d):
    try:
        return d["spec"]["template"]["spec"]["containers"]
    except (KeyError, TypeError):
        return []


def unified_diff(path, before, after):
    lines = difflib.unified_diff(before.splitlines(True), after.splitlines(True),
                                 fromfile=f"a/{path}", tofile=f"b/{path}", n=3)
    return "".join(lines)


# -- time series ------------------------------------------------------------------------------


def diurnal(t, tz, seed, peaks=((11.3, 1.6, 0.55), (20.2, 1.5, 0.6)), floor=0.08,
            weekend=1.0):
    """Share of peak traffic at t (0..~1.2): a floor plus gaussian daily peaks in local time."""
    h = hours(t, tz)
    x = floor + sum(a * gauss(h, mu, sd) for mu, sd, a in peaks)
    if gs.weekday(t, tz) >= 5:
        x *= weekend
    return x * day_factor(seed, t, tz)


class AR:
    """Smooth noise: an AR(1) process evaluated in time order (one instance per series)."""

    def __init__(self, rng, sd, rho=0.85):
        self.rng, self.sd, self.rho, self.x = rng, sd, rho, 0.0

    def __call__(self):
        self.x = self.rho * self.x + self.rng.gauss(0, self.sd)
        return self.x


# -- workload model ---------------------------------------------------------------------------


class Rev:
    """One revision of the pod template (a ReplicaSet / ControllerRevision)."""

    def __init__(self, number, version, containers, created, extra=None, init=None):
        self.number = number
        self.version = version
        self.containers = containers          # source form (as written in Git)
        self.created = created                # epoch
        self.extra = extra or {}              # pod spec fields of this revision (nodeSelector...)
        self.init = init
        self.hash = None


class P:
    """One pod: which revision, where, since when, and per-container state."""

    def __init__(self, name, rev, node, ip, created, states=None, deleted=None, phase="Running",
                 unschedulable=None, evicted=None, ordinal=None):
        self.name, self.rev, self.node, self.ip = name, rev, node, ip
        self.created, self.deleted, self.phase = created, deleted, phase
        self.states = states or {}
        self.unschedulable = unschedulable     # FailedScheduling message
        self.evicted = evicted                 # eviction message
        self.ordinal = ordinal
        self.obj = None
        self.ended = None                      # evicted / failed: metrics stop here

    def alive(self, t):
        end = self.deleted if self.deleted is not None else self.ended
        return self.created <= t + STEP and (end is None or t < end)

    def ready(self):
        if self.phase != "Running" or self.deleted:
            return False
        return all(s.get("ready", True) for s in self.states.values())


def running(started, restarts=0, last=None, ready=True):
    return {"state": "running", "started": started, "restarts": restarts, "last": last,
            "ready": ready}


def waiting(reason, message, restarts=0, last=None):
    return {"state": "waiting", "reason": reason, "message": message, "restarts": restarts,
            "last": last, "ready": False}


def term(reason, code, started, finished, message=None):
    d = {"reason": reason, "exitCode": code, "started": started, "finished": finished}
    if message:
        d["message"] = message
    return d


def crash_history(first_start, kills, backoffs, R, reason="OOMKilled", code=137):
    """Container state after a sequence of kills: restarts, lastState, running or back-off."""
    start = first_start
    last = None
    for k, b in zip(kills, backoffs):
        last = term(reason, code, start, k)
        start = k + b
    n = len(kills)
    if start <= R:
        return running(start, n, last, ready=R - start > 40)
    bo = backoffs[-1]
    m, s = divmod(bo, 60)
    txt = f"{m}m{s}s" if m and s else (f"{m}m0s" if m else f"{s}s")
    st = waiting("CrashLoopBackOff", f"back-off {txt} restarting failed container={{C}} "
                 f"pod={{P}}_{{NS}}({{UID}})", n - 1 if n else 0, last)
    st["restarts"] = n
    return st


class Workload:
    def __init__(self, inc, kind, name, *, revisions, replicas=None, part_of=None,
                 service=None, pod_extra=None, strategy=None, created=None, annotations_tpl=None,
                 generation=None, min_ready=None, revision_history=10, sts_service=None,
                 labels_extra=None):
        self.inc, self.kind, self.name = inc, kind, name
        self.ns = inc.ns
        self.revisions = revisions
        self.replicas = replicas
        self.part_of = part_of or inc.ns
        self.service = service or name
        self.pod_extra = pod_extra or {}
        self.strategy = strategy
        self.created = created or inc.R - 86400 * inc.rng.randint(120, 500)
        self.annotations_tpl = annotations_tpl
        self.generation = generation or (len(revisions) + inc.rng.randint(2, 9))
        self.revision_history = revision_history
        self.min_ready = min_ready
        self.sts_service = sts_service or f"{name}-headless"
        self.labels_extra = labels_extra or {}
        self.pods = []
        self.uid = inc.ids.uid()
        self.status_override = {}
        self.conditions = None
        self.rev_objs = {}
        for r in revisions:
            r.hash = (inc.ids.suffix(10 if kind == "Deployment" and inc.rng.random() < 0.5 else 9)
                      if kind == "Deployment" else inc.ids.suffix(10))

    @property
    def current(self):
        return self.revisions[-1]

    def rev(self, number):
        return next(r for r in self.revisions if r.number == number)

    def selector(self):
        return {"app.kubernetes.io/name": self.name}

    def labels(self, rev=None):
        rev = rev or self.current
        lab = {"app.kubernetes.io/name": self.name, "app.kubernetes.io/part-of": self.part_of,
               "team": self.inc.team, **self.labels_extra,
               "tags.datadoghq.com/env": self.inc.env,
               "tags.datadoghq.com/service": self.service,
               "tags.datadoghq.com/version": rev.version}
        return lab

    def tpl_annotations(self, rev=None):
        if self.annotations_tpl is not None:
            return dict(self.annotations_tpl)
        c0 = (rev or self.current).containers[0]["name"]
        return {f"ad.datadoghq.com/{c0}.logs":
                f'[{{"source":"{self.inc.log_source}","service":"{self.service}"}}]'}

    def source_spec(self, rev=None):
        """The pod spec as written in Git (no API defaults)."""
        rev = rev or self.current
        spec = {}
        for k in ("serviceAccountName", "terminationGracePeriodSeconds", "securityContext",
                  "nodeSelector", "affinity", "tolerations", "topologySpreadConstraints",
                  "priorityClassName", "imagePullSecrets"):
            if k in self.pod_extra:
                spec[k] = copy.deepcopy(self.pod_extra[k])
        for k, v in rev.extra.items():
            spec[k] = copy.deepcopy(v)
        if rev.init:
            spec["initContainers"] = copy.deepcopy(rev.init)
        spec["containers"] = copy.deepcopy(rev.containers)
        if "volumes" in self.pod_extra:
            spec["volumes"] = copy.deepcopy(self.pod_extra["volumes"])
        return spec

    def api_spec(self, rev=None):
        spec = api_pod_spec(self.source_spec(rev))
        spec["containers"] = [api_defaults(c) for c in spec["containers"]]
        if "initContainers" in spec:
            spec["initContainers"] = [api_defaults(gs.api_container(c)) for c in spec["initContainers"]]
        for v in spec.get("volumes", []):
            if "configMap" in v:
                v["configMap"].setdefault("defaultMode", 420)
            if "secret" in v:
                v["secret"].setdefault("defaultMode", 420)
        order = ["volumes", "initContainers", "containers", "restartPolicy",
                 "terminationGracePeriodSeconds", "dnsPolicy", "nodeSelector",
                 "serviceAccountName", "serviceAccount", "securityContext", "imagePullSecrets",
                 "affinity", "schedulerName", "tolerations", "priorityClassName",
                 "topologySpreadConstraints"]
        if "serviceAccountName" in spec:
            spec["serviceAccount"] = spec["serviceAccountName"]
        return {k: spec[k] for k in sorted(spec, key=lambda k: order.index(k) if k in order else 60)}

    def container(self, name, rev=None):
        return next(c for c in (rev or self.current).containers if c["name"] == name)

    def res(self, cname, kind, resource, rev=None):
        """A resource value of a container in bytes/cores, or None."""
        v = self.container(cname, rev).get("resources", {}).get(kind, {}).get(resource)
        return None if v is None else qty(v)

    def pod_res(self, rev, kind, resource):
        return sum(qty(c.get("resources", {}).get(kind, {}).get(resource, 0))
                   for c in rev.containers)

    # -- pods --
    def add_pod(self, rev=None, node=None, created=None, states=None, **kw):
        rev = rev or self.current
        inc = self.inc
        if self.kind == "Deployment":
            name = f"{self.name}-{rev.hash}-{inc.ids.suffix(5)}"
        elif self.kind == "StatefulSet":
            name = f"{self.name}-{kw.get('ordinal', len(self.pods))}"
        else:
            name = f"{self.name}-{inc.ids.suffix(5)}"
        created = created if created is not None else rev.created + inc.rng.randint(5, 90)
        ip = kw.pop("ip", None) or (inc.pod_ip() if node or kw.get("phase") != "Pending" else None)
        p = P(name, rev, node, ip, created, states, **kw)
        self.pods.append(p)
        return p

    def live_pods(self):
        return [p for p in self.pods if p.deleted is None]


# -- the incident ------------------------------------------------------------------------------

CLUSTERS = {
    "eu-1": {"region": "eu-central-1", "tz": 1, "site": "datadoghq.eu", "net": "10.42",
             "kubelet": "v1.30.4-eks-a737599", "cd": "argocd"},
    "eu-2": {"region": "eu-west-1", "tz": 0, "site": "datadoghq.eu", "net": "10.46",
             "kubelet": "v1.31.2-eks-7f9249a", "cd": "flux"},
    "us-2": {"region": "us-east-2", "tz": -5, "site": "datadoghq.com", "net": "10.60",
             "kubelet": "v1.30.4-eks-a737599", "cd": "argocd"},
    "ap-1": {"region": "ap-southeast-1", "tz": 8, "site": "datadoghq.com", "net": "10.71",
             "kubelet": "v1.31.2-eks-7f9249a", "cd": "flux"},
    "stg-eu": {"region": "eu-central-1", "tz": 1, "site": "datadoghq.eu", "net": "10.52",
               "kubelet": "v1.31.2-eks-7f9249a", "cd": "argocd"},
    "stg-us": {"region": "us-east-2", "tz": -5, "site": "datadoghq.com", "net": "10.62",
               "kubelet": "v1.31.2-eks-7f9249a", "cd": "flux"},
    "dev-1": {"region": "eu-central-1", "tz": 1, "site": "datadoghq.eu", "net": "10.90",
              "kubelet": "v1.31.2-eks-7f9249a", "cd": "argocd"},
}

ORGS = {"datadoghq.eu": {"id": "1000231842", "name": "Acme Retail"},
        "datadoghq.com": {"id": "1000231842", "name": "Acme Retail"}}


class Incident:
    def __init__(self, iid, *, title, alert_type, env, cluster, received, ns, team,
                 gitops_project=None, source="synthetic", log_source="java"):
        self.id = iid
        self.rng = random.Random(zlib.crc32(iid.encode()))
        self.ids = Ids(self.rng)
        self.title, self.alert_type, self.env, self.cluster = title, alert_type, env, cluster
        self.received = received
        self.R = epoch(received)
        self.ns, self.team = ns, team
        self.c = CLUSTERS[cluster]
        self.tz = self.c["tz"]
        self.gitops_project = gitops_project
        self.source = source
        self.log_source = log_source
        self.objs = []
        self.events = []
        self.series = []
        self.logs = []
        self.decision = None
        self.accept, self.reject = [], []
        self.notes = ""
        self.files = {}            # gitops path -> text
        self.outcome = None
        self.human_diff = None
        self.digests = {}
        self.nodes = {}
        self.node_objs = {}
        self.w = None
        self.quotas = []
        self.alert = None
        self.kustomize_entry = None
        self.hard_case = ""
        self._ips = set()
        self.describe = title
        self.res_comment = {}
        self.replicas_comment = None
        self.base_resources = {}
        self.base_tag = None
        self.hpa_spec = None
        self.pdb_spec = None
        self.limit_ranges = []
        self.extra_objs = []
        self.gitops_style = None
        self.hpa_inline = {}
        self.gitops_root = None
        end = self.R - self.R % STEP
        self.week = [end - (WEEK - 1 - i) * STEP for i in range(WEEK)]
        self.day = self.week[-DAY:]
        self.h6 = self.week[-72:]

    # -- ids --
    def pod_ip(self):
        while True:
            ip = f"{self.c['net']}.{self.rng.randint(1, 127)}.{self.rng.randint(2, 254)}"
            if ip not in self._ips:
                self._ips.add(ip)
                return ip

    def digest(self, image):
        if image not in self.digests:
            self.digests[image] = self.ids.hex(64)
        return self.digests[image]

    def node(self, name=None, *, itype="m6i.2xlarge", cpu=8, mem_gi=32, pool="general",
             zone=None, created=None):
        """Registers a node (an object is written only when include_nodes is asked)."""
        zones = ["a", "b", "c"]
        z = zone or self.c["region"] + zones[len(self.nodes) % 3]
        if name is None:
            a, b = self.rng.randint(1, 127), self.rng.randint(2, 254)
            ip = f"{self.c['net']}.{a}.{b}"
            name = f"ip-{ip.replace('.', '-')}.{self.c['region']}.compute.internal"
        else:
            ip = name[3:].split(".")[0].replace("-", ".")
        self.nodes[name] = {"ip": ip, "zone": z, "itype": itype, "cpu": cpu, "mem_gi": mem_gi,
                            "pool": pool,
                            "created": created or self.R - 86400 * self.rng.randint(3, 40)
                            - self.rng.randint(0, 86400)}
        return name

    def node_obj(self, name):
        n = self.nodes[name]
        if name not in self.node_objs:
            o = node_obj(self.ids, name, created=iso(n["created"]), ip=n["ip"], zone=n["zone"],
                         region=self.c["region"], itype=n["itype"], cpu=n["cpu"],
                         mem_gi=n["mem_gi"], ami="ami-0" + self.ids.hex(16),
                         kubelet=self.c["kubelet"], pool=f"{n['pool']}-{n['itype'].replace('.', '-')}",
                         heartbeat=iso(self.R - self.rng.randint(2, 30)))
            self.node_objs[name] = o
        return self.node_objs[name]

    @staticmethod
    def node_alloc(o):
        a = o["status"]["allocatable"]
        return qty(a["cpu"]), qty(a["memory"])

    # -- objects --
    def namespace(self, created=None, labels=None):
        lab = {"team": self.team, "env": self.env, **(labels or {})}
        if self.c["cd"] == "argocd":
            lab["argocd.argoproj.io/managed-by"] = "argocd"
        else:
            lab["kustomize.toolkit.fluxcd.io/name"] = f"{self.ns}-apps"
            lab["kustomize.toolkit.fluxcd.io/namespace"] = "flux-system"
        self.objs.append(namespace_obj(self.ids, self.ns, iso(created or self.R - 86400 * 600),
                                       lab))

    def cd_annotations(self, kind, name, group="apps"):
        if self.c["cd"] == "argocd":
            return {"argocd.argoproj.io/tracking-id":
                    f"{self.ns}-{self.w.name if self.w else name}:{group}/{kind}:{self.ns}/{name}"}
        return {}

    def cd_labels(self):
        if self.c["cd"] == "flux":
            return {"kustomize.toolkit.fluxcd.io/name": f"{self.ns}-apps",
                    "kustomize.toolkit.fluxcd.io/namespace": "flux-system"}
        return {}

    def meta(self, name, created, labels=None, annotations=None, owner_refs=None, ns=True,
             generation=None, extra=None):
        md = {"name": name}
        if ns:
            md["namespace"] = self.ns
        md["uid"] = (extra or {}).pop("uid", None) or self.ids.uid()
        md["resourceVersion"] = self.ids.resource_version()
        if generation is not None:
            md["generation"] = generation
        md["creationTimestamp"] = iso(created)
        md["labels"] = labels or {}
        md["annotations"] = annotations or {}
        if owner_refs:
            md["ownerReferences"] = owner_refs
        return md

    def ref(self, obj, field_path=None):
        md = obj["metadata"]
        r = {"kind": obj["kind"], "namespace": md.get("namespace", ""), "name": md["name"],
             "uid": md["uid"], "apiVersion": obj["apiVersion"],
             "resourceVersion": md["resourceVersion"]}
        if not md.get("namespace"):
            r.pop("namespace")
        if field_path:
            r["fieldPath"] = field_path
        return r

    def event(self, obj, reason, message, etype="Warning", first=None, last=None, count=1,
              component="kubelet", host=None, field_path=None, ns=None):
        first = first if first is not None else self.R - self.rng.randint(60, 3000)
        last = last if last is not None else first
        last = min(last, self.R - 1)
        first = min(first, last)
        ev = event_obj(self.ids, namespace=ns or obj["metadata"].get("namespace") or "default",
                       involved=self.ref(obj, field_path), reason=reason, message=message,
                       etype=etype, first=int(first), last=int(last), count=count,
                       component=component, host=host)
        self.events.append(ev)
        return ev

    def quota(self, name, hard, others, created=None):
        """ResourceQuota whose status.used = the workload's live pods + `others` (the rest of
        the namespace). Values: bytes/cores/counts; written in canonical quantities."""
        self.quotas.append({"name": name, "hard": hard, "others": others,
                            "created": created or self.R - 86400 * 400})

    def quota_used(self, q, key):
        return self._workload_quota_use(key) + q["others"].get(key, 0)

    def _workload_quota_use(self, key):
        if key == "pods":
            return len([p for p in self.w.pods if p.deleted is None and p.phase in
                        ("Running", "Pending")])
        kind, res = key.split(".", 1) if "." in key else ("requests", key)
        total = 0.0
        for p in self.w.pods:
            if p.deleted is None and p.phase in ("Running", "Pending"):
                total += self.w.pod_res(p.rev, kind, res)
        return total

    def workload_current(self, key):
        return self._workload_quota_use(key)

    @staticmethod
    def fmt_quota(key, v):
        if key == "pods" or key.startswith("count/"):
            return str(int(v))
        if "memory" in key or "storage" in key:
            n = int(round(v / MI))
            return f"{n // 1024}Gi" if n % 1024 == 0 and n else f"{n}Mi"
        return milli(v)

    def limitrange(self, name, limits):
        self.extra_objs.append(limitrange_obj(self.ids, name, self.ns, iso(self.R - 86400 * 400),
                                              limits))
        self.limit_ranges.append(limits)

    def config_map(self, name, keys, created=None, labels=None):
        self.extra_objs.append({"apiVersion": "v1", "kind": "ConfigMap",
                          "metadata": self.meta(name, created or self.R - 86400 * 30,
                                                labels or {"app.kubernetes.io/name": self.w.name},
                                                self.cd_annotations("ConfigMap", name, "")),
                          "data": keys})

    def secret(self, name, keys, created=None, stype="Opaque"):
        self.extra_objs.append({"apiVersion": "v1", "kind": "Secret",
                          "metadata": self.meta(name, created or self.R - 86400 * 60,
                                                {"app.kubernetes.io/name": self.w.name},
                                                {"kfix.io/data-masked": "true"}),
                          "type": stype, "data": {k: "<redacted>" for k in keys}})

    def service(self, port=80, target="http", name=None):
        name = name or self.w.name
        ip = f"172.20.{self.rng.randint(1, 250)}.{self.rng.randint(2, 250)}"
        spec = {"clusterIP": ip, "clusterIPs": [ip], "internalTrafficPolicy": "Cluster",
                "ipFamilies": ["IPv4"], "ipFamilyPolicy": "SingleStack",
                "ports": [{"name": "http", "port": port, "protocol": "TCP", "targetPort": target}],
                "selector": self.w.selector(), "sessionAffinity": "None", "type": "ClusterIP"}
        if self.w.kind == "StatefulSet" and name.endswith("headless"):
            spec["clusterIP"] = "None"
            spec["clusterIPs"] = ["None"]
            spec["publishNotReadyAddresses"] = True
        self.extra_objs.append({"apiVersion": "v1", "kind": "Service",
                          "metadata": self.meta(name, self.w.created, {
                              "app.kubernetes.io/name": self.w.name,
                              "app.kubernetes.io/part-of": self.w.part_of, "team": self.team,
                              **self.cd_labels()}, self.cd_annotations("Service", name, "")),
                          "spec": spec, "status": {"loadBalancer": {}}})

    def hpa(self, min_r, max_r, *, cpu=None, memory=None, current=None, desired=None,
            cur_cpu=None, cur_mem=None, limited=False, last_scale=None, behavior=None,
            pods_metric=None):
        self.hpa_spec = {"min": min_r, "max": max_r, "cpu": cpu, "memory": memory,
                         "current": current, "desired": desired, "cur_cpu": cur_cpu,
                         "cur_mem": cur_mem, "limited": limited, "last_scale": last_scale,
                         "behavior": behavior, "pods_metric": pods_metric}

    def pdb(self, min_available=None, max_unavailable=None):
        self.pdb_spec = {"minAvailable": min_available, "maxUnavailable": max_unavailable}

    # -- metrics --
    def tags(self, pod=None, container=None, extra=()):
        w = self.w
        t = [f"kube_cluster_name:{self.cluster}", f"kube_namespace:{self.ns}"]
        key = {"Deployment": "kube_deployment", "StatefulSet": "kube_stateful_set",
               "DaemonSet": "kube_daemon_set"}[w.kind]
        t.append(f"{key}:{w.name}")
        if pod is not None and w.kind == "Deployment":
            t.append(f"kube_replica_set:{w.name}-{pod.rev.hash}")
        if pod is not None:
            t.append(f"pod_name:{pod.name}")
        if container:
            t.append(f"kube_container_name:{container}")
        t += [f"env:{self.env}", f"service:{w.service}"]
        if pod is not None:
            t.append(f"version:{pod.rev.version}")
        return t + list(extra)

    def add_series(self, metric, tags, unit, times, fn, pod=None, digits=None):
        pts = []
        for t in times:
            if pod is not None and not pod.alive(t):
                continue
            v = fn(t)
            if v is None:
                continue
            pts.append([t, int(round(v)) if digits is None else round(float(v), digits)])
        self.series.append({"metric": metric, "tags": tags, "unit": unit, "interval": STEP,
                            "points": pts})
        return pts

    def values(self, metric, tag_filter=()):
        out = []
        for s in self.series:
            if s["metric"] == metric and all(t in s["tags"] for t in tag_filter):
                out += [p[1] for p in s["points"]]
        return out

    # -- logs --
    def log(self, t, status, message, *, service=None, pod=None, container=None, host=None,
            attrs=None, source=None, tags=None):
        w = self.w
        if tags is None:
            tags = [f"source:{source or self.log_source}", f"env:{self.env}",
                    f"kube_cluster_name:{self.cluster}", f"kube_namespace:{self.ns}"]
            if pod is not None:
                key = {"Deployment": "kube_deployment", "StatefulSet": "kube_stateful_set",
                       "DaemonSet": "kube_daemon_set"}[w.kind]
                tags.append(f"{key}:{w.name}")
                tags.append(f"pod_name:{pod.name}")
                if container:
                    tags.append(f"kube_container_name:{container}")
                tags.append(f"version:{pod.rev.version}")
            tags += [f"service:{service or w.service}", f"team:{self.team}"]
        host = host or (pod.node if pod is not None and pod.node else
                        self.rng.choice(sorted(self.nodes)) if self.nodes else "")
        self.logs.append(log_event(self.ids, t, status=status, service=service or w.service,
                                   host=host, message=message, tags=tags, attrs=attrs or {}))

    def foreign_log(self, t, status, service, ns, message, attrs=None, source="go", team=None):
        host = self.rng.choice(sorted(self.nodes)) if self.nodes else ""
        tags = [f"source:{source}", f"env:{self.env}", f"kube_cluster_name:{self.cluster}",
                f"kube_namespace:{ns}", f"kube_deployment:{service}", f"service:{service}"]
        if team:
            tags.append(f"team:{team}")
        self.logs.append(log_event(self.ids, t, status=status, service=service, host=host,
                                   message=message, tags=tags, attrs=attrs or {}))

    # -- alert --
    def make_alert(self, *, name, metric, query, scope, monitor_tags=(), value, threshold,
                   warn="", comparator=">", transition="Triggered", priority="P2", text="",
                   status_text=None, event_type="query_alert_monitor", extra_tags=(),
                   drop_fields=(), drop_keys=()):
        scope_s = ",".join(scope)
        word = {"Triggered": "Triggered", "Recovered": "Recovered", "Re-Triggered": "Re-Triggered",
                "Warn": "Warn"}[transition]
        title = f"[{word} on {{{scope_s}}}] {name}"
        if status_text is None:
            status_text = f"{metric} over {scope_s} was {comparator} {threshold} on average " \
                          f"during the last 15m."
        body = (text + "\n" if text else "") + \
            f"KFIX value={value} threshold={threshold} warn_threshold={warn} " \
            f"comparator={comparator} @webhook-kfix\n@slack-{self.team}-alerts\n\n{status_text}\n\n" \
            f"The monitor was last {'recovered' if transition == 'Recovered' else 'triggered'} " \
            f"at {gs.dt.datetime.fromtimestamp(self.R, gs.dt.timezone.utc).strftime('%a %b %d %Y %H:%M:%S')} UTC." \
            "\n\n- - -\n\n[Monitor Status] \u00b7 [Edit Monitor] \u00b7 [Related Logs]"
        a = alert_payload(self.ids, received=self.R, title=title, body=body, priority=priority,
                          status=status_text, metric=metric, query=query, scope_tags=list(scope),
                          monitor_tags=list(monitor_tags) + list(extra_tags),
                          snapshot=f"https://p.{self.c['site']}/snapshot/view/dd-snapshots-prod/"
                                   f"org_1000231842/{self.received[:10]}/{self.ids.hex(40)}.png",
                          org=ORGS[self.c["site"]])
        a["event_type"] = event_type
        a["alert_transition"] = transition
        a["alert_type"] = {"Triggered": "error", "Re-Triggered": "error", "Recovered": "success",
                           "Warn": "warning"}[transition]
        a["link"] = a["link"].replace("datadoghq.eu", self.c["site"])
        if transition == "Recovered":
            a["last_updated"] = a["date"]
        for f in drop_fields:
            a[f] = ""
        for f in drop_keys:
            del a[f]
        self.alert = a
        return a


# -- Kubernetes objects of the workload -------------------------------------------------------


def api_defaults(c):
    """Defaulting the API server applies inside a container (beyond gen_samples.api_container):
    env fieldRef gets apiVersion v1."""
    for e in c.get("env", []):
        fr = e.get("valueFrom", {}).get("fieldRef")
        if fr is not None and "apiVersion" not in fr:
            e["valueFrom"]["fieldRef"] = {"apiVersion": "v1", **fr}
    return c


def _qos(containers):
    req_all = lim_all = True
    any_set = False
    for c in containers:
        r = c.get("resources", {})
        rq, lm = r.get("requests", {}), r.get("limits", {})
        if rq or lm:
            any_set = True
        for res in ("cpu", "memory"):
            req = rq.get(res, lm.get(res))
            if req is None or lm.get(res) is None or qty(req) != qty(lm[res]):
                req_all = lim_all = False
    if not any_set:
        return "BestEffort"
    return "Guaranteed" if req_all and lim_all else "Burstable"


def pod_object(inc, w, p):
    rev = p.rev
    spec = w.api_spec(rev)
    vol, mount = kube_api_volume(inc.ids)
    for c in spec["containers"] + spec.get("initContainers", []):
        c.setdefault("volumeMounts", []).append(dict(mount))
    spec.setdefault("volumes", []).append(vol)
    if p.node:
        spec["nodeName"] = p.node
    spec["enableServiceLinks"] = True
    spec["preemptionPolicy"] = "PreemptLowerPriority"
    spec["priority"] = 0
    spec["serviceAccount"] = spec.get("serviceAccountName", "default")
    spec.setdefault("serviceAccountName", "default")
    tol = spec.get("tolerations", [])
    if w.kind == "DaemonSet":
        tol = tol + [
            {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute"},
            {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute"},
            {"key": "node.kubernetes.io/disk-pressure", "operator": "Exists", "effect": "NoSchedule"},
            {"key": "node.kubernetes.io/memory-pressure", "operator": "Exists", "effect": "NoSchedule"},
            {"key": "node.kubernetes.io/pid-pressure", "operator": "Exists", "effect": "NoSchedule"},
            {"key": "node.kubernetes.io/unschedulable", "operator": "Exists", "effect": "NoSchedule"}]
        spec["affinity"] = {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
            "nodeSelectorTerms": [{"matchFields": [{"key": "metadata.name", "operator": "In",
                                                    "values": [p.node]}]}]}}}
    else:
        tol = tol + copy.deepcopy(DEFAULT_TOLERATIONS)
    spec["tolerations"] = tol
    if w.kind == "StatefulSet":
        spec["hostname"] = p.name
        spec["subdomain"] = w.sts_service
    order = ["volumes", "initContainers", "containers", "restartPolicy",
             "terminationGracePeriodSeconds", "dnsPolicy", "nodeSelector", "serviceAccountName",
             "serviceAccount", "nodeName", "securityContext", "imagePullSecrets", "hostname",
             "subdomain", "affinity", "schedulerName", "tolerations", "priorityClassName",
             "priority", "enableServiceLinks", "preemptionPolicy", "topologySpreadConstraints"]
    spec = {k: spec[k] for k in sorted(spec, key=lambda k: order.index(k) if k in order else 50)}

    labels = dict(w.labels(rev))
    if w.kind == "Deployment":
        labels["pod-template-hash"] = rev.hash
        own = owner("ReplicaSet", f"{w.name}-{rev.hash}", w.rev_objs[rev.number]["metadata"]["uid"])
    elif w.kind == "StatefulSet":
        labels["apps.kubernetes.io/pod-index"] = str(p.ordinal if p.ordinal is not None else 0)
        labels["controller-revision-hash"] = f"{w.name}-{rev.hash}"
        labels["statefulset.kubernetes.io/pod-name"] = p.name
        own = owner("StatefulSet", w.name, w.uid)
    else:
        labels["controller-revision-hash"] = rev.hash
        labels["pod-template-generation"] = str(rev.number)
        own = owner("DaemonSet", w.name, w.uid)
    uid = inc.ids.uid()
    md = {}
    md["name"] = p.name
    if w.kind != "StatefulSet":
        md["generateName"] = (f"{w.name}-{rev.hash}-" if w.kind == "Deployment" else f"{w.name}-")
    md.update({"namespace": inc.ns, "uid": uid, "resourceVersion": inc.ids.resource_version(),
               "creationTimestamp": iso(p.created), "labels": labels,
               "annotations": w.tpl_annotations(rev), "ownerReferences": [own]})
    if p.deleted:
        pass

    statuses = []
    for c in spec["containers"]:
        statuses.append(_container_status(inc, w, p, c, uid))
    init_statuses = []
    for c in spec.get("initContainers", []):
        cid = inc.ids.container_id()
        init_statuses.append({"containerID": cid, "image": c["image"],
                              "imageID": _image_id(inc, c["image"]),
                              "lastState": {}, "name": c["name"], "ready": True,
                              "restartCount": 0, "started": False,
                              "state": {"terminated": {"containerID": cid, "exitCode": 0,
                                                       "finishedAt": iso(p.created + 8),
                                                       "reason": "Completed",
                                                       "startedAt": iso(p.created + 3)}}})
    status = {}
    if p.phase == "Pending":
        status = {"phase": "Pending", "conditions": [
            {"type": "PodScheduled", "status": "False", "lastProbeTime": None,
             "lastTransitionTime": iso(p.created), "reason": "Unschedulable",
             "message": p.unschedulable}], "qosClass": _qos(rev.containers)}
    else:
        ready = all(s["ready"] for s in statuses) and p.phase == "Running"
        unready = [s["name"] for s in statuses if not s["ready"]]
        last_change = max([p.created + 25] + [
            epoch(s["state"]["running"]["startedAt"]) + 30 for s in statuses
            if "running" in s["state"]] + [
            epoch(s["lastState"]["terminated"]["finishedAt"]) for s in statuses
            if s["lastState"].get("terminated")])
        last_change = min(last_change, inc.R - 3)
        msg = None if ready else f"containers with unready status: [{' '.join(unready)}]"
        rs = None if ready else "ContainersNotReady"
        conds = []
        if p.phase == "Failed":
            conds.append(cond("DisruptionTarget", "True", iso(p.ended or last_change),
                              "TerminationByKubelet", p.evicted))
        conds += [cond("PodReadyToStartContainers", "False" if p.phase == "Failed" else "True",
                       iso(p.created + 5)),
                  cond("Initialized", "True", iso(p.created + (9 if init_statuses else 0))),
                  cond("Ready", "True" if ready else "False", iso(last_change), rs,
                       "" if ready else msg),
                  cond("ContainersReady", "True" if ready else "False", iso(last_change), rs,
                       "" if ready else msg),
                  cond("PodScheduled", "True", iso(p.created))]
        for cc in conds:
            if cc.get("message") == "":
                del cc["message"]
        status = {"phase": p.phase}
        if p.phase == "Failed":
            status["message"] = p.evicted
            status["reason"] = "Evicted"
        status.update({"conditions": conds, "hostIP": inc.nodes[p.node]["ip"],
                       "hostIPs": [{"ip": inc.nodes[p.node]["ip"]}]})
        if p.phase != "Failed":
            status["podIP"] = p.ip
            status["podIPs"] = [{"ip": p.ip}]
        status["startTime"] = iso(p.created)
        if init_statuses:
            status["initContainerStatuses"] = init_statuses
        status["containerStatuses"] = statuses
        status["qosClass"] = _qos(rev.containers)
    return {"apiVersion": "v1", "kind": "Pod", "metadata": md, "spec": spec, "status": status}


def _image_id(inc, image):
    return image.rsplit(":", 1)[0] + "@sha256:" + inc.digest(image)


def _container_status(inc, w, p, c, uid):
    st = p.states.get(c["name"]) or running(p.created + inc.rng.randint(6, 14))
    s = {}
    cid = inc.ids.container_id()
    pulled = st["state"] != "waiting" or st["reason"] not in (
        "ImagePullBackOff", "ErrImagePull", "InvalidImageName", "CreateContainerConfigError",
        "ContainerCreating")
    if pulled:
        s["containerID"] = cid
    s["image"] = c["image"]
    s["imageID"] = _image_id(inc, c["image"]) if pulled else ""
    last = st.get("last")
    s["lastState"] = {}
    if last:
        lt = {"containerID": inc.ids.container_id(), "exitCode": last["exitCode"],
              "finishedAt": iso(last["finished"])}
        if last.get("message"):
            lt["message"] = last["message"]
        lt["reason"] = last["reason"]
        lt["startedAt"] = iso(last["started"])
        s["lastState"] = {"terminated": lt}
    s["name"] = c["name"]
    s["ready"] = bool(st.get("ready")) and st["state"] == "running"
    s["restartCount"] = st.get("restarts", 0)
    s["started"] = st["state"] == "running"
    if st["state"] == "running":
        s["state"] = {"running": {"startedAt": iso(st["started"])}}
    elif st["state"] == "waiting":
        msg = st["message"].replace("{C}", c["name"]).replace("{P}", p.name) \
            .replace("{NS}", inc.ns).replace("{UID}", uid)
        s["state"] = {"waiting": {"message": msg, "reason": st["reason"]}}
        if last and pulled:
            s["containerID"] = s["lastState"]["terminated"]["containerID"]
    else:
        s["state"] = {"terminated": {"containerID": cid, "exitCode": st["exitCode"],
                                     "finishedAt": iso(st["finished"]), "reason": st["reason"],
                                     "startedAt": iso(st["started"])}}
        s["ready"] = False
        s["started"] = False
    return s


def workload_objects(inc):
    """The workload, its ReplicaSets / ControllerRevisions and its pods."""
    w = inc.w
    objs = []
    cd_ann = inc.cd_annotations(w.kind, w.name)
    cur = w.current
    live = [p for p in w.pods if p.deleted is None]
    pods_by_rev = {r.number: [p for p in live if p.rev is r and p.phase != "Failed"]
                   for r in w.revisions}
    ready_by_rev = {n: len([p for p in ps if p.ready()]) for n, ps in pods_by_rev.items()}
    tpl = {"metadata": {"creationTimestamp": None, "labels": w.labels(cur),
                        "annotations": w.tpl_annotations(cur)},
           "spec": w.api_spec(cur)}
    wl_labels = {k: v for k, v in w.labels(cur).items()}
    wl_labels.update(inc.cd_labels())
    if w.kind == "Deployment":
        ann = {"deployment.kubernetes.io/revision": str(cur.number), **cd_ann}
        spec = {"progressDeadlineSeconds": 600, "replicas": w.replicas,
                "revisionHistoryLimit": w.revision_history,
                "selector": {"matchLabels": w.selector()},
                "strategy": w.strategy or {"type": "RollingUpdate", "rollingUpdate": {
                    "maxSurge": "25%", "maxUnavailable": "25%"}},
                "template": tpl}
        if w.min_ready:
            spec["minReadySeconds"] = w.min_ready
        total = sum(len(v) for v in pods_by_rev.values()) + getattr(w, "extra_replicas", 0)
        ready = sum(ready_by_rev.values())
        updated = len(pods_by_rev[cur.number])
        st = {"observedGeneration": w.generation, "replicas": total, "updatedReplicas": updated,
              "readyReplicas": ready, "availableReplicas": ready}
        if total - ready > 0 or w.replicas - ready > 0:
            st["unavailableReplicas"] = max(total - ready, w.replicas - ready)
        if ready == 0:
            del st["readyReplicas"]
            del st["availableReplicas"]
        st.update(w.status_override)
        conds = w.conditions or default_deploy_conditions(inc, w, ready)
        st["conditions"] = conds
        objs.append({"apiVersion": "apps/v1", "kind": "Deployment",
                     "metadata": inc.meta(w.name, w.created, wl_labels, ann, generation=w.generation,
                                          extra={"uid": w.uid}),
                     "spec": spec, "status": st})
        for r in w.revisions:
            labels = {**w.labels(r), "pod-template-hash": r.hash}
            n = len(pods_by_rev[r.number])
            rs_spec_repl = getattr(w, "rs_desired", {}).get(r.number, n)
            rs = {"apiVersion": "apps/v1", "kind": "ReplicaSet",
                  "metadata": inc.meta(f"{w.name}-{r.hash}", r.created, labels, {
                      "deployment.kubernetes.io/desired-replicas": str(w.replicas),
                      "deployment.kubernetes.io/max-replicas": str(w.replicas + _surge(w)),
                      "deployment.kubernetes.io/revision": str(r.number), **cd_ann},
                      [owner("Deployment", w.name, w.uid)],
                      generation=2 if r is cur else 3),
                  "spec": {"replicas": rs_spec_repl,
                           "selector": {"matchLabels": {**w.selector(), "pod-template-hash": r.hash}},
                           "template": {"metadata": {"creationTimestamp": None, "labels": labels,
                                                     "annotations": w.tpl_annotations(r)},
                                        "spec": w.api_spec(r)}},
                  "status": ({"replicas": n, "fullyLabeledReplicas": n,
                              "readyReplicas": ready_by_rev[r.number],
                              "availableReplicas": ready_by_rev[r.number],
                              "observedGeneration": 2 if r is cur else 3} if n else
                             {"replicas": 0, "observedGeneration": 3})}
            if rs["status"].get("readyReplicas") == 0:
                del rs["status"]["readyReplicas"]
                del rs["status"]["availableReplicas"]
            if r is cur and getattr(w, "rs_failure", None):
                rs["status"]["conditions"] = [{
                    "lastTransitionTime": iso(w.rs_failure[0]), "message": w.rs_failure[1],
                    "reason": "FailedCreate", "status": "True", "type": "ReplicaFailure"}]
            w.rev_objs[r.number] = rs
            objs.append(rs)
    else:
        hist = []
        for r in w.revisions:
            data_tpl = {"metadata": {"creationTimestamp": None, "labels": w.labels(r),
                                     "annotations": w.tpl_annotations(r)},
                        "spec": w.api_spec(r), "$patch": "replace"}
            crname = f"{w.name}-{r.hash}"
            cr = {"apiVersion": "apps/v1", "kind": "ControllerRevision",
                  "metadata": inc.meta(crname, r.created, {
                      **({"controller-revision-hash": r.hash} if w.kind == "DaemonSet" else
                         {"controller.kubernetes.io/hash": r.hash}),
                      **w.selector()}, {**({"deprecated.daemonset.template.generation":
                                            str(r.number)} if w.kind == "DaemonSet" else {})},
                      [owner(w.kind, w.name, w.uid)]),
                  "data": {"spec": {"template": data_tpl}}, "revision": r.number}
            w.rev_objs[r.number] = cr
            hist.append(cr)
        live_ok = [p for p in live if p.phase == "Running"]
        ready = len([p for p in live_ok if p.ready()])
        updated = len([p for p in live_ok if p.rev is cur])
        if w.kind == "StatefulSet":
            ann = dict(cd_ann)
            spec = {"persistentVolumeClaimRetentionPolicy": {"whenDeleted": "Retain",
                                                             "whenScaled": "Retain"},
                    "podManagementPolicy": "OrderedReady", "replicas": w.replicas,
                    "revisionHistoryLimit": w.revision_history,
                    "selector": {"matchLabels": w.selector()}, "serviceName": w.sts_service,
                    "template": tpl,
                    "updateStrategy": w.strategy or {"rollingUpdate": {"partition": 0},
                                                     "type": "RollingUpdate"}}
            if getattr(w, "volume_claims", None):
                spec["volumeClaimTemplates"] = w.volume_claims
            old_revs = [r for r in w.revisions if any(p.rev is r for p in live_ok)]
            cur_rev_name = f"{w.name}-{(old_revs[0] if old_revs else cur).hash}"
            st = {"availableReplicas": ready, "collisionCount": 0,
                  "currentReplicas": len([p for p in live_ok if f"{w.name}-{p.rev.hash}" == cur_rev_name]),
                  "currentRevision": cur_rev_name, "observedGeneration": w.generation,
                  "readyReplicas": ready, "replicas": len(live), "updateRevision":
                  f"{w.name}-{cur.hash}", "updatedReplicas": updated}
            st.update(w.status_override)
            objs.append({"apiVersion": "apps/v1", "kind": "StatefulSet",
                         "metadata": inc.meta(w.name, w.created, wl_labels, ann,
                                              generation=w.generation, extra={"uid": w.uid}),
                         "spec": spec, "status": st})
        else:
            ann = {"deprecated.daemonset.template.generation": str(cur.number), **cd_ann}
            spec = {"revisionHistoryLimit": w.revision_history,
                    "selector": {"matchLabels": w.selector()}, "template": tpl,
                    "updateStrategy": w.strategy or {"rollingUpdate": {"maxSurge": 0,
                                                                       "maxUnavailable": 1},
                                                     "type": "RollingUpdate"}}
            n = len(live)
            st = {"currentNumberScheduled": n, "desiredNumberScheduled": n,
                  "numberAvailable": ready, "numberMisscheduled": 0, "numberReady": ready,
                  "observedGeneration": w.generation, "updatedNumberScheduled": updated}
            if n - ready:
                st["numberUnavailable"] = n - ready
            st.update(w.status_override)
            objs.append({"apiVersion": "apps/v1", "kind": "DaemonSet",
                         "metadata": inc.meta(w.name, w.created, wl_labels, ann,
                                              generation=w.generation, extra={"uid": w.uid}),
                         "spec": spec, "status": st})
        objs += hist
    w.pod_objs = {}
    for p in w.pods:
        if p.deleted is not None:
            continue
        po = pod_object(inc, w, p)
        w.pod_objs[p.name] = po
        objs.append(po)
    return objs


def _surge(w):
    s = (w.strategy or {}).get("rollingUpdate", {}).get("maxSurge", "25%")
    if isinstance(s, str) and s.endswith("%"):
        return int(math.ceil(w.replicas * int(s[:-1]) / 100.0))
    return int(s)


def surge_count(w):
    return _surge(w) if w.kind == "Deployment" else 0


def deploy_conditions(inc, w, *, available=True, progressing="complete", failure=None,
                      since=None):
    """Deployment conditions: progressing complete | updating | deadline; failure: the
    ReplicaFailure message (FailedCreate)."""
    cur = w.current
    t_av = iso(since or (inc.R - inc.rng.randint(300, 1500)))
    conds = [{"type": "Available", "status": "True" if available else "False",
              "lastUpdateTime": t_av if not available else iso(w.current.created + 60),
              "lastTransitionTime": t_av if not available else iso(w.current.created + 60),
              "reason": "MinimumReplicasAvailable" if available else "MinimumReplicasUnavailable",
              "message": "Deployment has minimum availability." if available else
              "Deployment does not have minimum availability."}]
    rs = f"{w.name}-{cur.hash}"
    if progressing == "complete":
        conds.append({"type": "Progressing", "status": "True",
                      "lastUpdateTime": iso(cur.created + 95), "lastTransitionTime": iso(w.created),
                      "reason": "NewReplicaSetAvailable",
                      "message": f'ReplicaSet "{rs}" has successfully progressed.'})
    elif progressing == "updating":
        conds.append({"type": "Progressing", "status": "True",
                      "lastUpdateTime": iso(cur.created + 2), "lastTransitionTime": iso(cur.created + 2),
                      "reason": "ReplicaSetUpdated", "message": f'ReplicaSet "{rs}" is progressing.'})
    else:
        conds.append({"type": "Progressing", "status": "False",
                      "lastUpdateTime": iso(cur.created + 601), "lastTransitionTime": iso(cur.created + 601),
                      "reason": "ProgressDeadlineExceeded",
                      "message": f'ReplicaSet "{rs}" has timed out progressing.'})
    if failure:
        conds.append({"type": "ReplicaFailure", "status": "True",
                      "lastUpdateTime": iso(cur.created + 3), "lastTransitionTime": iso(cur.created + 3),
                      "reason": "FailedCreate", "message": failure})
    return conds


def default_deploy_conditions(inc, w, ready):
    cur = w.current
    min_avail = w.replicas - int(math.floor(w.replicas * 0.25))
    avail = ready >= min_avail
    t_av = iso(inc.R - inc.rng.randint(200, 2400)) if not avail else iso(w.current.created + 60)
    return [
        {"type": "Available", "status": "True" if avail else "False",
         "lastUpdateTime": t_av, "lastTransitionTime": t_av,
         "reason": "MinimumReplicasAvailable" if avail else "MinimumReplicasUnavailable",
         "message": "Deployment has minimum availability." if avail else
         "Deployment does not have minimum availability."},
        {"type": "Progressing", "status": "True",
         "lastUpdateTime": iso(cur.created + 95), "lastTransitionTime": iso(w.created),
         "reason": "NewReplicaSetAvailable",
         "message": f'ReplicaSet "{w.name}-{cur.hash}" has successfully progressed.'}]


def hpa_object(inc):
    h = inc.hpa_spec
    w = inc.w
    metrics, cur_metrics = [], []
    for res in ("cpu", "memory"):
        if h[res] is not None:
            metrics.append({"type": "Resource", "resource": {"name": res, "target": {
                "type": "Utilization", "averageUtilization": h[res]}}})
            util = h["cur_" + ("cpu" if res == "cpu" else "mem")]
            req = sum(qty(c.get("resources", {}).get("requests", {}).get(res, 0))
                      for c in w.current.containers)
            av = req * util / 100.0
            cur_metrics.append({"type": "Resource", "resource": {"name": res, "current": {
                "averageUtilization": util,
                "averageValue": (milli(av) if res == "cpu" else str(int(av)))}}})
    if h.get("pods_metric"):
        pm = h["pods_metric"]
        metrics.append({"type": "Pods", "pods": {"metric": {"name": pm["name"]}, "target": {
            "type": "AverageValue", "averageValue": pm["target"]}}})
        cur_metrics.append({"type": "Pods", "pods": {"metric": {"name": pm["name"]}, "current": {
            "averageValue": pm["current"]}}})
    spec = {"maxReplicas": h["max"], "metrics": metrics, "minReplicas": h["min"],
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": w.kind, "name": w.name}}
    if h["behavior"]:
        spec["behavior"] = h["behavior"]
    t_lim = iso(inc.R - inc.rng.randint(900, 3000))
    conds = [{"type": "AbleToScale", "status": "True", "lastTransitionTime": iso(w.created + 60),
              "reason": "ReadyForNewScale",
              "message": "recommended size matches current size"},
             {"type": "ScalingActive", "status": "True", "lastTransitionTime": iso(w.created + 60),
              "reason": "ValidMetricFound",
              "message": "the HPA was able to successfully calculate a replica count from "
                         + (f"pods metric {h['pods_metric']['name']}" if h.get("pods_metric") else
                            f"{'cpu' if h['cpu'] is not None else 'memory'} resource utilization "
                            "(percentage of request)")},
             ({"type": "ScalingLimited", "status": "True", "lastTransitionTime": t_lim,
               "reason": "TooManyReplicas",
               "message": "the desired replica count is more than the maximum replica count"}
              if h["limited"] else
              {"type": "ScalingLimited", "status": "False",
               "lastTransitionTime": iso(inc.R - inc.rng.randint(3600, 86400)),
               "reason": "DesiredWithinRange",
               "message": "the desired count is within the acceptable range"})]
    st = {"conditions": conds, "currentMetrics": cur_metrics,
          "currentReplicas": h["current"], "desiredReplicas": h["desired"],
          "lastScaleTime": iso(h["last_scale"] or inc.R - inc.rng.randint(600, 7200)),
          "observedGeneration": inc.rng.randint(2, 9)}
    return {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
            "metadata": inc.meta(w.name, w.created + 30, {"app.kubernetes.io/name": w.name,
                                                          "team": inc.team, **inc.cd_labels()},
                                 inc.cd_annotations("HorizontalPodAutoscaler", w.name, "autoscaling")),
            "spec": spec, "status": st}


def pdb_object(inc):
    w = inc.w
    spec = {}
    if inc.pdb_spec["minAvailable"] is not None:
        spec["minAvailable"] = inc.pdb_spec["minAvailable"]
    else:
        spec["maxUnavailable"] = inc.pdb_spec["maxUnavailable"]
    spec["selector"] = {"matchLabels": w.selector()}
    live = [p for p in w.pods if p.deleted is None and p.phase == "Running"]
    healthy = len([p for p in live if p.ready()])
    expected = w.replicas or len(live)
    if "minAvailable" in spec:
        ma = spec["minAvailable"]
        desired = int(ma) if not str(ma).endswith("%") else int(math.ceil(expected * int(ma[:-1]) / 100))
    else:
        mu = spec["maxUnavailable"]
        mu = int(mu) if not str(mu).endswith("%") else int(math.floor(expected * int(mu[:-1]) / 100))
        desired = expected - mu
    allowed = max(0, healthy - desired)
    t = iso(inc.R - inc.rng.randint(300, 5000))
    return {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
            "metadata": inc.meta(w.name, w.created + 20, {"app.kubernetes.io/name": w.name,
                                                          **inc.cd_labels()},
                                 inc.cd_annotations("PodDisruptionBudget", w.name, "policy"),
                                 generation=1),
            "spec": spec,
            "status": {"conditions": [{"lastTransitionTime": t,
                                       "message": "" if allowed else "jsonpath disruptions allowed is 0",
                                       "observedGeneration": 1,
                                       "reason": "SufficientPods" if allowed else "InsufficientPods",
                                       "status": "True" if allowed else "False",
                                       "type": "DisruptionAllowed"}],
                       "currentHealthy": healthy, "desiredHealthy": desired,
                       "disruptionsAllowed": allowed, "expectedPods": expected,
                       "observedGeneration": 1}}


# -- GitOps rendering -------------------------------------------------------------------------


def manifest(inc, rev=None, replicas=True, containers=None, ns=True, labels=True):
    """The workload manifest as the team keeps it in Git."""
    w = inc.w
    rev = rev or w.current
    md = {"name": w.name}
    if ns:
        md["namespace"] = w.ns
    if labels:
        md["labels"] = {k: v for k, v in w.labels(rev).items()}
    spec = {}
    if w.kind != "DaemonSet" and replicas and w.replicas is not None:
        spec["replicas"] = w.replicas
    if w.kind == "StatefulSet":
        spec["serviceName"] = w.sts_service
    if w.revision_history != 10:
        spec["revisionHistoryLimit"] = w.revision_history
    spec["selector"] = {"matchLabels": w.selector()}
    if w.strategy and w.kind == "Deployment":
        spec["strategy"] = copy.deepcopy(w.strategy)
    if w.strategy and w.kind != "Deployment":
        spec["updateStrategy"] = copy.deepcopy(w.strategy)
    src = w.source_spec(rev)
    if containers is not None:
        src["containers"] = containers
    tmeta = {"labels": w.labels(rev)}
    ann = w.tpl_annotations(rev)
    if ann:
        tmeta["annotations"] = ann
    spec["template"] = {"metadata": tmeta, "spec": src}
    if w.kind == "StatefulSet" and getattr(w, "volume_claims", None):
        spec["volumeClaimTemplates"] = [{"metadata": {"name": v["metadata"]["name"]},
                                         "spec": {k: v["spec"][k] for k in
                                                  ("accessModes", "storageClassName", "resources")}}
                                        for v in w.volume_claims]
    return {"apiVersion": "apps/v1", "kind": w.kind, "metadata": md, "spec": spec}


def hpa_manifest(inc, ns=True):
    h = inc.hpa_spec
    w = inc.w
    md = {"name": w.name}
    if ns:
        md["namespace"] = w.ns
    metrics = []
    for res in ("cpu", "memory"):
        if h[res] is not None:
            metrics.append({"type": "Resource", "resource": {"name": res, "target": {
                "type": "Utilization", "averageUtilization": h[res]}}})
    if h.get("pods_metric"):
        pm = h["pods_metric"]
        metrics.append({"type": "Pods", "pods": {"metric": {"name": pm["name"]}, "target": {
            "type": "AverageValue", "averageValue": pm["target"]}}})
    spec = {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": w.kind, "name": w.name},
            "minReplicas": h["min"], "maxReplicas": h["max"], "metrics": metrics}
    if h["behavior"]:
        spec["behavior"] = h["behavior"]
    return {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": md,
            "spec": spec}


def service_manifest(inc, ns=True):
    w = inc.w
    md = {"name": w.name}
    if ns:
        md["namespace"] = w.ns
    return {"apiVersion": "v1", "kind": "Service", "metadata": md,
            "spec": {"selector": w.selector(),
                     "ports": [{"name": "http", "port": 80, "targetPort": "http"}]}}


def pdb_manifest(inc, ns=True):
    w = inc.w
    md = {"name": w.name}
    if ns:
        md["namespace"] = w.ns
    spec = {}
    for k in ("minAvailable", "maxUnavailable"):
        if inc.pdb_spec.get(k) is not None:
            spec[k] = inc.pdb_spec[k]
    spec["selector"] = {"matchLabels": w.selector()}
    return {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": md,
            "spec": spec}


def resource_comments(inc):
    """Typical comments the teams leave in their manifests (keyed by path)."""
    w = inc.w
    c0 = w.current.containers[0]["name"]
    base = ("spec", "template", "spec", "containers", c0)
    out = {base + ("resources",): [f"sized in {inc.rng.choice(['Q3', 'Q4', 'the last capacity review', 'INC-' + str(inc.rng.randint(1200, 4800))])}"]}
    return out


def render_gitops(inc, style, root, rev=None, override=None, hpa_override=None):
    """{path: text} for the workload in one of the styles:
    plain     one manifest file with header comments
    multi     workload + Service (+ HPA, PDB) in one multi-document file
    flow      flow-style maps, quoted strings, lists not indented
    dir       one file per object and a kustomization.yaml listing them
    overlay   kustomize base (other values) + overlays/<env> with a strategic-merge patch that
              sets replicas and the containers' resources; the patch is the file to change
    """
    w = inc.w
    rev = rev or w.current
    conts = copy.deepcopy(rev.containers)
    if override:
        conts = override(conts)
    hpa = inc.hpa_manifest_override(hpa_override) if getattr(inc, "hpa_spec", None) else None
    files = {}
    header = [f"{w.name} ({w.kind}) - team {inc.team}, on call #{inc.team}-oncall",
              f"Runbook: https://gitlab.example.com/{inc.team}/runbooks/-/blob/main/{w.name}.md"]
    if inc.c["cd"] == "argocd":
        header.append(f'Synced to {inc.cluster} by Argo CD application "{inc.ns}-{w.name}".')
    else:
        header.append(f"Reconciled on {inc.cluster} by Flux Kustomization {inc.ns}-apps.")
    cpath = ("spec", "template", "spec", "containers")
    comments = {}
    for c in conts:
        if "resources" in c and inc.rng.random() < 2:   # always (keeps rng use fixed)
            comments[cpath + (c["name"], "resources")] = [
                inc.res_comment.get(c["name"], f"reviewed {gs.dt.datetime.fromtimestamp(rev.created, gs.dt.timezone.utc).strftime('%Y-%m-%d')}")]
    if style == "plain":
        m = manifest(inc, rev, containers=conts)
        st = Style(comments=comments, inline={("spec", "replicas"): inc.replicas_comment}
                   if inc.replicas_comment and "replicas" in m["spec"] else {})
        files[f"{root}/{w.kind.lower()}.yaml"] = emit_yaml(m, st, header)
        if hpa:
            files[f"{root}/hpa.yaml"] = emit_yaml(hpa, Style(inline=inc.hpa_inline))
    elif style == "multi":
        m = manifest(inc, rev, containers=conts, replicas=hpa is None)
        docs = [m, service_manifest(inc)]
        if hpa:
            docs.append(hpa)
        if getattr(inc, "pdb_spec", None):
            docs.append(pdb_manifest(inc))
        files[f"{root}/{w.name}.yaml"] = emit_docs(
            docs, [Style(comments=comments, indent_seq=True), Style()]
            + [Style(inline=inc.hpa_inline if d["kind"] == "HorizontalPodAutoscaler" else {})
               for d in docs[2:]], header)
    elif style == "flow":
        m = manifest(inc, rev, containers=conts)
        st = Style(flow={"resources", "requests", "limits", "ports", "matchLabels", "httpGet",
                         "tcpSocket", "securityContext", "fieldRef", "valueFrom", "exec"},
                   quote=True, indent_seq=False, comments=comments)
        files[f"{root}/{w.kind.lower()}.yaml"] = emit_yaml(m, st, header)
        if hpa:
            files[f"{root}/hpa.yaml"] = emit_yaml(hpa, Style(quote=True, indent_seq=False,
                                                             inline=inc.hpa_inline))
    elif style == "dir":
        m = manifest(inc, rev, containers=conts)
        names = [f"{w.kind.lower()}.yaml"]
        files[f"{root}/{w.kind.lower()}.yaml"] = emit_yaml(m, Style(comments=comments), header)
        if w.kind != "DaemonSet":
            files[f"{root}/service.yaml"] = emit_yaml(service_manifest(inc), Style())
            names.append("service.yaml")
        if hpa:
            files[f"{root}/hpa.yaml"] = emit_yaml(hpa, Style(inline=inc.hpa_inline))
            names.append("hpa.yaml")
        if getattr(inc, "pdb_spec", None):
            files[f"{root}/pdb.yaml"] = emit_yaml(pdb_manifest(inc), Style())
            names.append("pdb.yaml")
        files[f"{root}/kustomization.yaml"] = emit_yaml(
            {"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization",
             "namespace": w.ns, "resources": names})
        inc.kustomize_entry = root
    elif style == "overlay":
        base_conts = copy.deepcopy(conts)
        for c in base_conts:
            if "resources" in c:
                c["resources"] = inc.base_resources.get(c["name"], {
                    "requests": {"cpu": "100m", "memory": "128Mi"},
                    "limits": {"memory": "256Mi"}})
        base_rev_img = {c["name"]: c["image"] for c in conts}
        for c in base_conts:
            repo = c["image"].rsplit(":", 1)[0]
            c["image"] = f"{repo}:{inc.base_tag}" if inc.base_tag else c["image"]
        bm = manifest(inc, rev, containers=base_conts, ns=False)
        bm["spec"]["replicas"] = 1 if w.kind != "DaemonSet" else None
        if bm["spec"]["replicas"] is None:
            del bm["spec"]["replicas"]
        files[f"{root}/base/{w.kind.lower()}.yaml"] = emit_yaml(bm, Style(), header)
        res = [f"{w.kind.lower()}.yaml"]
        if w.kind != "DaemonSet":
            files[f"{root}/base/service.yaml"] = emit_yaml(service_manifest(inc, ns=False), Style())
            res.append("service.yaml")
        files[f"{root}/base/kustomization.yaml"] = emit_yaml(
            {"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization",
             "resources": res})
        patch_spec = {}
        if w.kind != "DaemonSet" and not hpa:
            patch_spec["replicas"] = w.replicas
        patch_spec["template"] = {"spec": {"containers": [
            {"name": c["name"], "resources": c["resources"]} for c in conts if "resources" in c]}}
        patch = {"apiVersion": "apps/v1", "kind": w.kind, "metadata": {"name": w.name},
                 "spec": patch_spec}
        env = inc.env
        pcomments = {}
        for c in conts:
            pcomments[("spec", "template", "spec", "containers", c["name"], "resources")] = [
                f"{env} sizing for {c['name']} (base keeps dev defaults)"]
        files[f"{root}/overlays/{env}/{w.kind.lower()}-patch.yaml"] = emit_yaml(
            patch, Style(comments=pcomments), [f"{env} overrides for {w.name}"])
        images = []
        for c in conts:
            repo, _, tag = base_rev_img[c["name"]].rpartition(":")
            if inc.base_tag and tag != inc.base_tag:
                images.append({"name": repo, "newTag": tag})
        k = {"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization",
             "namespace": w.ns, "resources": ["../../base"]}
        if hpa:
            files[f"{root}/overlays/{env}/hpa.yaml"] = emit_yaml(hpa, Style(inline=inc.hpa_inline))
            k["resources"].append("hpa.yaml")
        k["patches"] = [{"path": f"{w.kind.lower()}-patch.yaml"}]
        if images:
            k["images"] = images
        files[f"{root}/overlays/{env}/kustomization.yaml"] = emit_yaml(k, Style())
        inc.kustomize_entry = f"{root}/overlays/{env}"
    else:
        raise ValueError(style)
    return files


# -- consistency check ------------------------------------------------------------------------


def gitops_docs(files, entry):
    if entry:
        return kustomize(files, entry)
    docs = []
    for path in sorted(files):
        if path.endswith(".yaml") and not path.endswith("kustomization.yaml"):
            docs += [d for d in yaml.safe_load_all(files[path]) if d]
    return docs


def check_consistency(folder: Path, entry=None):
    """The GitOps files (rendered through kustomize when there is an entry) must describe the
    live workload: replicas (unless an HPA owns them), selector, template labels, containers,
    images, resources, args, env names, probes; the HPA spec; pods match their revision; the
    alert date equals received_at; every quota-tracked field is set on every container."""
    inc = yaml.safe_load((folder / "incident.yaml").read_text())
    kind, name, ns = inc["workload"]["kind"], inc["workload"]["name"], inc["workload"]["namespace"]
    objs = [d for d in yaml.safe_load_all((folder / "state" / "kubernetes.yaml").read_text()) if d]
    live = next(d for d in objs if d["kind"] == kind and d["metadata"]["name"] == name)
    problems = []

    def same(what, a, b):
        if a != b:
            problems.append(f"{what}: live {a!r} != gitops {b!r}")

    gdir = folder / "gitops"
    if gdir.exists():
        files = {str(p.relative_to(gdir)): p.read_text() for p in sorted(gdir.rglob("*"))
                 if p.is_file()}
        docs = gitops_docs(files, entry)
        git = next((d for d in docs if d["kind"] == kind and d["metadata"]["name"] == name), None)
        if git is None:
            problems.append(f"no {kind} {name} in gitops")
        else:
            hpa_live = next((d for d in objs if d["kind"] == "HorizontalPodAutoscaler"), None)
            if kind != "DaemonSet":
                if "replicas" in git["spec"] or hpa_live is None:
                    same("replicas", live["spec"]["replicas"], git["spec"].get("replicas"))
            same("namespace", ns, git["metadata"].get("namespace"))
            same("selector", live["spec"]["selector"], git["spec"]["selector"])
            same("template labels", live["spec"]["template"]["metadata"]["labels"],
                 git["spec"]["template"]["metadata"]["labels"])
            lc = {c["name"]: c for c in live["spec"]["template"]["spec"]["containers"]}
            gc = {c["name"]: api_defaults(gs.api_container(c))
                  for c in git["spec"]["template"]["spec"]["containers"]}
            same("containers", list(lc), list(gc))
            for n in lc:
                if n in gc:
                    for key in ("image", "resources", "args", "command", "livenessProbe",
                                "readinessProbe", "startupProbe", "ports"):
                        same(f"{n}.{key}", lc[n].get(key), gc[n].get(key))
                    same(f"{n}.env", lc[n].get("env"), gc[n].get("env"))
            for key in ("nodeSelector", "imagePullSecrets"):
                same(key, live["spec"]["template"]["spec"].get(key),
                     git["spec"]["template"]["spec"].get(key))
            ghpa = next((d for d in docs if d["kind"] == "HorizontalPodAutoscaler"), None)
            if hpa_live is not None and ghpa is not None:
                for key in ("minReplicas", "maxReplicas", "metrics", "scaleTargetRef"):
                    same(f"hpa.{key}", hpa_live["spec"][key], ghpa["spec"][key])
    # revisions and pods
    tpl_by_hash = {}
    for d in objs:
        if d["kind"] == "ReplicaSet":
            tpl_by_hash[d["metadata"]["labels"]["pod-template-hash"]] = d["spec"]["template"]["spec"]
        if d["kind"] == "ControllerRevision":
            h = d["metadata"]["labels"].get("controller-revision-hash") or \
                d["metadata"]["labels"].get("controller.kubernetes.io/hash")
            tpl_by_hash[h] = d["data"]["spec"]["template"]["spec"]
    sel = live["spec"]["selector"]["matchLabels"]
    for p in (d for d in objs if d["kind"] == "Pod"):
        lab = p["metadata"]["labels"]
        if not all(lab.get(k) == v for k, v in sel.items()):
            problems.append(f"pod {p['metadata']['name']} does not match the selector")
        h = lab.get("pod-template-hash") or lab.get("controller-revision-hash")
        if kind == "StatefulSet":
            h = h[len(name) + 1:]
        tpl = tpl_by_hash.get(h)
        if tpl is None:
            problems.append(f"pod {p['metadata']['name']}: no revision {h}")
            continue
        tc = {c["name"]: c for c in tpl["containers"]}
        for c in p["spec"]["containers"]:
            same(f"pod {p['metadata']['name']} {c['name']}.resources", c["resources"],
                 tc[c["name"]]["resources"])
            same(f"pod {p['metadata']['name']} {c['name']}.image", c["image"], tc[c["name"]]["image"])
    # quota-required fields
    for q in (d for d in objs if d["kind"] == "ResourceQuota"):
        for key in q["spec"]["hard"]:
            if key.startswith("limits.") or key.startswith("requests."):
                k1, res = key.split(".", 1)
                for c in live["spec"]["template"]["spec"]["containers"]:
                    if res not in c.get("resources", {}).get(k1, {}):
                        problems.append(f"quota {key} but {c['name']} has no {k1}.{res}")
    alert = json.loads((folder / "alert.json").read_text())
    same("alert date", int(alert["date"]) // 1000, epoch(inc["received_at"]))
    if problems:
        raise SystemExit(f"{folder.name}: " + "; ".join(problems))


# -- assembling and writing one incident ------------------------------------------------------


def materialize(inc, node_objects=False):
    """Builds the Kubernetes objects from the models (call before creating events)."""
    inc.wl_objs = workload_objects(inc)
    inc.wl_obj = inc.wl_objs[0]
    inc.hpa_obj = hpa_object(inc) if inc.hpa_spec else None
    inc.pdb_obj = pdb_object(inc) if inc.pdb_spec else None
    inc.write_nodes = node_objects
    if node_objects:
        for n in sorted(inc.nodes):
            inc.node_obj(n)


def pod_obj(inc, p):
    return inc.w.pod_objs[p.name]


def node_event(inc, node, reason, message, first, last=None, count=1, etype="Warning",
               component="kubelet"):
    involved = {"kind": "Node", "name": node, "uid": node}
    ev = event_obj(inc.ids, namespace="default", involved=involved, reason=reason,
                   message=message, etype=etype, first=int(first), last=int(last or first),
                   count=count, component=component, host=node)
    inc.events.append(ev)
    return ev


def quota_objects(inc):
    out = []
    for q in inc.quotas:
        hard = {k: Incident.fmt_quota(k, v) for k, v in sorted(q["hard"].items())}
        used = {k: Incident.fmt_quota(k, inc.quota_used(q, k)) for k in sorted(q["hard"])}
        out.append(quota_obj(inc.ids, q["name"], inc.ns, iso(q["created"]), hard, used))
    return out


def hpa_manifest_override(inc, fn=None):
    m = hpa_manifest(inc)
    if fn:
        fn(m)
    return m


Incident.hpa_manifest_override = hpa_manifest_override


def incident_doc(inc):
    w = inc.w
    doc = {"format": "kfix-incident/v1", "id": inc.id, "title": inc.title,
           "alert_type": inc.alert_type, "env": inc.env, "cluster": inc.cluster,
           "received_at": inc.received}
    if inc.files:
        doc["gitops"] = {"project": inc.gitops_project, "target_branch": "main"}
    doc["workload"] = {"kind": w.kind, "namespace": w.ns, "name": w.name}
    exp = {"decision": inc.decision}
    if inc.accept:
        exp["accept"] = inc.accept
    if inc.reject:
        exp["reject"] = inc.reject
    doc["expected"] = exp
    doc["source"] = inc.source
    doc["notes"] = inc.notes.strip() + "\n"
    if inc.outcome:
        doc["outcome"] = inc.outcome
    return doc


def write_incident(inc, out: Path):
    folder = out / inc.id
    if folder.exists():
        for f in sorted(folder.rglob("*"), reverse=True):
            f.unlink() if f.is_file() else f.rmdir()
    objs = [inc.objs[0]] + inc.wl_objs
    if inc.hpa_obj:
        objs.append(inc.hpa_obj)
    if inc.pdb_obj:
        objs.append(inc.pdb_obj)
    objs += inc.extra_objs
    objs += quota_objects(inc)
    if inc.write_nodes:
        objs += [inc.node_objs[n] for n in sorted(inc.node_objs)]
    objs += sorted(inc.events, key=lambda e: (e["lastTimestamp"], e["metadata"]["name"]))
    write(folder / "state" / "kubernetes.yaml", "---\n".join(dump_yaml(o) for o in objs))
    gs.write_metrics(folder / "state" / "metrics.json", inc.series)
    write_logs(folder / "state" / "logs.jsonl", inc.logs)
    write(folder / "alert.json", json.dumps(inc.alert, indent=2, ensure_ascii=False) + "\n")
    write(folder / "incident.yaml", emit_yaml(incident_doc(inc)))
    for path in sorted(inc.files):
        write(folder / "gitops" / path, inc.files[path])
    if inc.human_diff:
        write(folder / "human-fix.diff", inc.human_diff)
    return folder
