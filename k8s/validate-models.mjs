// validate-models.mjs — validates Kubernetes manifests offline: the schema check of the
// npm package kubernetes-models, plus what it lacks (unknown fields) and this
// platform's own rules (hardened pods, gRPC probes, references that resolve, Redis with
// a password and durable, a Redis Cluster shaped for failover).
//
// usage: node validate-models.mjs --set NAME [--external-secrets] FILE... [--set ...]
//   Each set is checked on its own (references resolve within a set). With
//   --external-secrets, Secrets missing from the set are expected to be created out of
//   band (prod) and are listed instead of failing. Prints one line per problem, then
//   "SUMMARY sets=S objects=N errors=E"; exits 1 when E > 0, 2 on a usage error.
//   Packages are loaded from $VALIDATE_NODE_DIR (default: .validate-node beside this file).
import { createRequire } from "node:module";
import { readFileSync, existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const nodeDir = process.env.VALIDATE_NODE_DIR || join(here, ".validate-node");
const require = createRequire(join(nodeDir, "package.json"));
const YAML = require("yaml");
// Model packages: the Kubernetes API, plus the CRDs the manifests use (cert-manager's
// Certificate and Issuer, the Gateway API's routes, the Prometheus Operator's
// ServiceMonitor and PrometheusRule), all laid out as <apiVersion>/<Kind>.mjs.
const modelRoots = ["kubernetes-models", "@kubernetes-models/cert-manager", "@kubernetes-models/gateway-api",
                    "@kubernetes-models/prometheus-operator"].map(
  (pkg) => dirname(require.resolve(`${pkg}/package.json`)),
);

const WORKLOADS = new Set(["Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob"]);

// ---------------------------------------------------------------- input

function parseArgs(argv) {
  const sets = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--set") sets.push({ name: argv[++i], files: [], externalSecrets: false });
    else if (!sets.length) usage(`expected --set before ${a}`);
    else if (a === "--external-secrets") sets.at(-1).externalSecrets = true;
    else sets.at(-1).files.push(a);
  }
  if (!sets.length || sets.some((s) => !s.name || !s.files.length)) usage("every --set needs a name and files");
  return sets;
}

function usage(msg) {
  console.error(`validate-models: ${msg}\nusage: node validate-models.mjs --set NAME [--external-secrets] FILE...`);
  process.exit(2);
}

// Every YAML document of the files, as { obj, where }; parse errors are reported.
function loadDocs(files, report) {
  const docs = [];
  for (const file of files) {
    YAML.parseAllDocuments(readFileSync(file, "utf8")).forEach((doc, i) => {
      const where = `${file}#${i + 1}`;
      if (doc.errors.length) return report(where, `YAML: ${doc.errors[0].message}`);
      const obj = doc.toJS();
      if (obj !== null && obj !== undefined) docs.push({ obj, where });
    });
  }
  return docs;
}

// ---------------------------------------------------------------- schema checks

// The model class of apiVersion/kind, e.g. apps/v1 Deployment -> apps/v1/Deployment.mjs.
const classCache = new Map();
async function modelClass(apiVersion, kind) {
  const key = `${apiVersion}/${kind}`;
  if (!classCache.has(key)) {
    const safe = /^[\w.-]+(\/[\w.-]+)?$/.test(apiVersion) && /^\w+$/.test(kind);
    const file = safe && modelRoots.map((root) => join(root, apiVersion, `${kind}.mjs`)).find((f) => existsSync(f));
    const mod = file ? await import(pathToFileURL(file)) : null;
    classCache.set(key, mod ? mod[kind] : null);
  }
  return classCache.get(key);
}

// A read-tracking view of obj: the generated validator reads every field its schema
// knows (and every entry of a map), so a field it never read is one it does not know.
function tracked(value, path, reads) {
  if (value === null || typeof value !== "object") return value;
  return new Proxy(value, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver);
      if (typeof prop !== "string" || !Object.hasOwn(target, prop)) return v;
      const child = Array.isArray(target) ? `${path}[${prop}]` : `${path}.${prop}`;
      reads.add(child);
      return tracked(v, child, reads);
    },
  });
}

function unreadFields(value, path, reads, out) {
  if (value === null || typeof value !== "object") return out;
  for (const [k, v] of Object.entries(value)) {
    const child = Array.isArray(value) ? `${path}[${k}]` : `${path}.${k}`;
    if (!reads.has(child)) out.push(child.slice(1));
    else unreadFields(v, child, reads, out);
  }
  return out;
}

async function schemaCheck(obj, fail) {
  const Cls = await modelClass(obj.apiVersion, obj.kind);
  if (!Cls) return fail(`unknown apiVersion/kind ${obj.apiVersion}/${obj.kind}`);
  const model = new Cls(obj);
  // Secret data is base64 that kustomize wraps over lines; the API server's decoder
  // skips newlines, the "byte" format of the schema does not.
  if (obj.kind === "Secret" && model.data)
    for (const k of Object.keys(model.data))
      if (typeof model.data[k] === "string") model.data[k] = model.data[k].replace(/[\r\n]/g, "");
  const reads = new Set();
  try {
    model.validate.call(tracked(model, "", reads));
  } catch (err) {
    fail(`schema: ${err.message}`);
  }
  for (const f of unreadFields(model, "", reads, [])) fail(`unknown field ${f}`);
}

// ---------------------------------------------------------------- platform rules

function podSpecOf(obj) {
  if (obj.kind === "CronJob") return obj.spec?.jobTemplate?.spec?.template?.spec;
  return WORKLOADS.has(obj.kind) ? obj.spec?.template?.spec : undefined;
}

function podLabelsOf(obj) {
  if (obj.kind === "CronJob") return obj.spec?.jobTemplate?.spec?.template?.metadata?.labels || {};
  return obj.spec?.template?.metadata?.labels || {};
}

// Hardened containers with sized resources; long-running ones have probes, and a
// container serving gRPC is probed over gRPC on that port.
function podRules(obj, pod, fail) {
  const containers = [...(pod.initContainers || []), ...(pod.containers || [])];
  for (const c of containers) {
    const sc = c.securityContext || {};
    const at = `container ${c.name}`;
    if (!(sc.runAsNonRoot ?? pod.securityContext?.runAsNonRoot)) fail(`${at}: runAsNonRoot is not true`);
    if (sc.readOnlyRootFilesystem !== true) fail(`${at}: readOnlyRootFilesystem is not true`);
    if (sc.allowPrivilegeEscalation !== false) fail(`${at}: allowPrivilegeEscalation is not false`);
    if (!(sc.capabilities?.drop || []).includes("ALL")) fail(`${at}: capabilities do not drop ALL`);
    for (const kind of ["requests", "limits"])
      for (const r of ["cpu", "memory"])
        if (c.resources?.[kind]?.[r] === undefined) fail(`${at}: no resources.${kind}.${r}`);
  }
  if (obj.kind !== "Deployment" && obj.kind !== "StatefulSet") return;
  for (const c of pod.containers || []) {
    for (const p of ["readinessProbe", "livenessProbe"]) {
      if (!c[p]) fail(`container ${c.name}: no ${p}`);
      // gRPC probes go to the plaintext health port when there is one (TLS on "grpc")
      const grpcPort = (c.ports || []).find((port) => port.name === "grpc-health") ||
        (c.ports || []).find((port) => port.name === "grpc");
      if (c[p] && grpcPort && c[p].grpc?.port !== grpcPort.containerPort)
        fail(`container ${c.name}: ${p} is not a grpc probe on port ${grpcPort.containerPort}`);
    }
  }
}

function selects(selector, labels) {
  if (!selector) return false;
  const ml = selector.matchLabels || {};
  if (!Object.entries(ml).every(([k, v]) => labels[k] === v)) return false;
  return (selector.matchExpressions || []).every(({ key, operator, values = [] }) => {
    const has = Object.hasOwn(labels, key);
    if (operator === "In") return has && values.includes(labels[key]);
    if (operator === "NotIn") return !has || !values.includes(labels[key]);
    if (operator === "Exists") return has;
    return !has; // DoesNotExist
  });
}

// References inside one set: selectors, scale targets, config and secret names, ports.
// objs are the schema-valid objects, all of them every object (for look-ups only).
function referenceRules(objs, all, set, failFor, externalSecrets) {
  const byKey = new Map(all.map((o) => [`${o.kind}/${o.metadata?.namespace || ""}/${o.metadata?.name}`, o]));
  // A cert-manager Certificate creates its Secret (tls.crt, tls.key, ca.crt).
  for (const c of all.filter((o) => o.kind === "Certificate" && o.spec?.secretName)) {
    const key = `Secret/${c.metadata?.namespace || ""}/${c.spec.secretName}`;
    if (!byKey.has(key)) byKey.set(key, { kind: "Secret", data: { "tls.crt": "", "tls.key": "", "ca.crt": "" } });
  }
  const find = (kind, ns, name) => byKey.get(`${kind}/${ns || ""}/${name}`);
  const workloads = all.filter((o) => WORKLOADS.has(o.kind) && Array.isArray(podSpecOf(o)?.containers));
  const podsSelected = (ns, sel) =>
    workloads.filter((w) => (w.metadata.namespace || "") === (ns || "") && selects(sel, podLabelsOf(w)));
  const portNames = (ws) => new Set(ws.flatMap((w) => (podSpecOf(w).containers || []).flatMap((c) => (c.ports || []).map((p) => p.name))));

  for (const o of objs) {
    const ns = o.metadata?.namespace;
    const fail = failFor(o);
    if (o.kind === "Service" && o.spec?.selector) {
      const ws = podsSelected(ns, { matchLabels: o.spec.selector });
      if (!ws.length) fail("selector matches no workload");
      for (const p of o.spec.ports || [])
        if (ws.length && typeof p.targetPort === "string" && !portNames(ws).has(p.targetPort))
          fail(`targetPort ${p.targetPort} names no container port`);
    }
    if (o.kind === "HorizontalPodAutoscaler") {
      const ref = o.spec.scaleTargetRef;
      const target = find(ref.kind, ns, ref.name);
      if (!target) fail(`scaleTargetRef ${ref.kind}/${ref.name} not found`);
      else if (target.spec?.replicas !== undefined)
        fail(`${ref.kind}/${ref.name} sets spec.replicas although this HPA owns it`);
    }
    if (o.kind === "PodDisruptionBudget" && !podsSelected(ns, o.spec.selector).length) fail("selector matches no workload");
    if (o.kind === "NetworkPolicy" && Object.keys(o.spec.podSelector || {}).length) {
      const ws = podsSelected(ns, o.spec.podSelector);
      if (!ws.length) fail("podSelector matches no workload");
      for (const rule of o.spec.ingress || [])
        for (const p of rule.ports || [])
          if (ws.length && typeof p.port === "string" && !portNames(ws).has(p.port))
            fail(`port ${p.port} names no container port of the selected pods`);
    }
    if (o.kind === "StatefulSet" && !find("Service", ns, o.spec.serviceName)) fail(`serviceName ${o.spec.serviceName} not found`);
    if (o.kind === "StatefulSet") redisRules(o, all, find, fail);
    if (o.kind === "ServiceMonitor") serviceMonitorRules(o, all, fail);
    const pod = podSpecOf(o);
    if (!pod) continue;
    podRules(o, pod, fail);
    if (pod.serviceAccountName && !find("ServiceAccount", ns, pod.serviceAccountName))
      fail(`serviceAccountName ${pod.serviceAccountName} not found`);
    const need = (kind, name, key) => {
      const target = find(kind, ns, name);
      if (!target && kind === "Secret" && externalSecrets) return set.external.add(name);
      if (!target) return fail(`${kind} ${name} not found`);
      const data = { ...target.data, ...target.stringData };
      if (key && !Object.hasOwn(data, key)) fail(`${kind} ${name} has no key ${key}`);
    };
    for (const c of [...(pod.initContainers || []), ...(pod.containers || [])]) {
      for (const ef of c.envFrom || []) {
        if (ef.configMapRef && !ef.configMapRef.optional) need("ConfigMap", ef.configMapRef.name);
        if (ef.secretRef && !ef.secretRef.optional) need("Secret", ef.secretRef.name);
      }
      for (const e of c.env || []) {
        const cm = e.valueFrom?.configMapKeyRef;
        const sk = e.valueFrom?.secretKeyRef;
        if (cm && !cm.optional) need("ConfigMap", cm.name, cm.key);
        if (sk && !sk.optional) need("Secret", sk.name, sk.key);
      }
    }
    for (const v of pod.volumes || []) {
      if (v.configMap && !v.configMap.optional) need("ConfigMap", v.configMap.name);
      if (v.secret && !v.secret.optional) need("Secret", v.secret.secretName);
    }
  }
}

// The redis.conf a StatefulSet mounts from a ConfigMap of the set, or undefined.
function redisConfOf(o, find) {
  const ns = o.metadata?.namespace;
  for (const v of podSpecOf(o)?.volumes || []) {
    const conf = v.configMap && find("ConfigMap", ns, v.configMap.name)?.data?.["redis.conf"];
    if (conf) return conf;
  }
  return undefined;
}

// Every Redis (a StatefulSet mounting a redis.conf): the append-only file, expired-key
// events for expiry-svc, no eviction, a password from a Secret, data on a volume claim.
// A Redis Cluster (cluster-enabled yes) also: primaries with a replica each (an even
// count, at least 6), pods on different nodes (required anti-affinity on the hostname),
// a PodDisruptionBudget, the cluster bus port, and a Job of the set that creates it.
function redisRules(o, all, find, fail) {
  const conf = redisConfOf(o, find);
  if (!conf) return;
  const setting = (name) => (conf.match(new RegExp(`^\\s*${name}\\s+(\\S+)`, "m")) || [])[1];
  if (setting("appendonly") !== "yes") fail("redis.conf: appendonly is not yes");
  const events = setting("notify-keyspace-events") || "";
  if (!/E/.test(events) || !/[xA]/.test(events)) fail("redis.conf: notify-keyspace-events lacks E and x (expiry-svc)");
  if (setting("maxmemory-policy") !== "noeviction") fail("redis.conf: maxmemory-policy is not noeviction");
  const c = (podSpecOf(o).containers || [])[0] || {};
  const args = c.args || [];
  const pw = args[args.indexOf("--requirepass") + 1];
  const env = (c.env || []).find((e) => pw === `$(${e.name})`);
  if (!args.includes("--requirepass") || !env?.valueFrom?.secretKeyRef) fail("no --requirepass from a Secret");
  const dir = setting("dir");
  const claims = (o.spec.volumeClaimTemplates || []).map((t) => t.metadata?.name);
  if (!(c.volumeMounts || []).some((m) => m.mountPath === dir && claims.includes(m.name)))
    fail(`redis.conf dir ${dir} is not on a volume claim`);
  if (setting("cluster-enabled") !== "yes") return;
  const n = o.spec.replicas ?? 1;
  if (n < 6 || n % 2) fail(`a cluster of ${n} pods: 3 primaries with a replica each need an even count >= 6`);
  if (args.includes("--masterauth") === false) fail("no --masterauth: replicas cannot authenticate to their primary");
  const own = podLabelsOf(o);
  const anti = o.spec.template.spec.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution || [];
  if (!anti.some((t) => t.topologyKey === "kubernetes.io/hostname" && selects(t.labelSelector, own)))
    fail("no required pod anti-affinity on kubernetes.io/hostname: a primary and its replica may share a node");
  const ns = o.metadata?.namespace || "";
  if (!all.some((p) => p.kind === "PodDisruptionBudget" && (p.metadata?.namespace || "") === ns && selects(p.spec?.selector, own)))
    fail("no PodDisruptionBudget selects the cluster's pods");
  if (!(c.ports || []).some((p) => p.containerPort === 16379)) fail("no cluster bus port (16379)");
  const creates = all.some((j) => j.kind === "Job" && (podSpecOf(j)?.containers || []).some((jc) =>
    /--cluster create/.test([...(jc.command || []), ...(jc.args || [])].join(" ")) &&
    /--cluster-replicas 1/.test([...(jc.command || []), ...(jc.args || [])].join(" "))));
  if (!creates) fail("no Job runs redis-cli --cluster create --cluster-replicas 1");
}

// A ServiceMonitor selects Services of its namespace (or spec.namespaceSelector's) that
// exist in the set, and each endpoint's port is a named port of every one of them.
function serviceMonitorRules(o, all, fail) {
  const names = o.spec.namespaceSelector?.matchNames;
  const inScope = (s) => o.spec.namespaceSelector?.any || (names ? names.includes(s.metadata?.namespace) :
    (s.metadata?.namespace || "") === (o.metadata?.namespace || ""));
  const services = all.filter((s) => s.kind === "Service" && inScope(s) && selects(o.spec.selector, s.metadata?.labels || {}));
  if (!services.length) return fail("selector matches no Service");
  for (const ep of o.spec.endpoints || []) {
    if (!ep.port) fail("an endpoint names no port (by name)");
    for (const s of services)
      if (ep.port && !(s.spec?.ports || []).some((p) => p.name === ep.port))
        fail(`Service ${s.metadata.name} has no port named ${ep.port}`);
  }
}

// ---------------------------------------------------------------- main

async function checkSet(set) {
  let errors = 0;
  const report = (where, msg) => {
    errors++;
    console.log(`ERROR [${set.name}] ${where}: ${msg}`);
  };
  const docs = loadDocs(set.files, report);
  const seen = new Set();
  const valid = [];
  for (const { obj, where } of docs) {
    const id = `${obj?.kind}/${obj?.metadata?.name}`;
    const fail = (msg) => report(`${where} ${id}`, msg);
    if (typeof obj !== "object" || !obj.apiVersion || !obj.kind || !obj.metadata?.name) {
      fail("not a Kubernetes object (apiVersion, kind, metadata.name)");
      continue;
    }
    const key = `${obj.kind}/${obj.metadata.namespace || ""}/${obj.metadata.name}`;
    if (seen.has(key)) fail("defined twice");
    seen.add(key);
    const before = errors;
    await schemaCheck(obj, fail);
    if (errors === before) valid.push(Object.assign(obj, { [Symbol.for("where")]: where }));
  }
  set.external = new Set();
  const all = docs.map((d) => d.obj).filter((o) => o && typeof o === "object");
  referenceRules(valid, all, set, (o) => (msg) => report(`${o[Symbol.for("where")]} ${o.kind}/${o.metadata.name}`, msg), set.externalSecrets);
  const ext = set.external.size ? `, external secrets: ${[...set.external].sort().join(" ")}` : "";
  console.log(`[${set.name}] ${docs.length} objects, ${errors} errors${ext}`);
  return { objects: docs.length, errors };
}

const sets = parseArgs(process.argv.slice(2));
let objects = 0;
let errors = 0;
for (const set of sets) {
  const r = await checkSet(set);
  objects += r.objects;
  errors += r.errors;
}
console.log(`SUMMARY sets=${sets.length} objects=${objects} errors=${errors}`);
process.exit(errors ? 1 : 0);
