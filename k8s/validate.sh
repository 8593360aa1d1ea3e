#!/usr/bin/env bash
# validate.sh — renders the kustomize overlays and validates every object offline.
#
#   k8s/validate.sh
#
# 1. Renders overlays/dev and overlays/prod with `kubectl kustomize` (or a standalone
#    `kustomize`). Without a kubectl, it looks for Debian's kubernetes-client with
#    apt-cache policy and installs it when that one is recent enough; if no usable
#    kustomize can be had, this step is skipped with a message.
# 2. Validates the rendered objects, and always the base YAML files directly, the
#    examples/ (Gateway API routes) and observability/ (ServiceMonitor, PrometheusRule),
#    with validate-models.mjs (npm packages kubernetes-models,
#    @kubernetes-models/cert-manager, @kubernetes-models/gateway-api and
#    @kubernetes-models/prometheus-operator, installed on demand into .validate-node/,
#    git-ignored).
# 3. Checks the alerting rules and the dashboard with promtool (Debian package
#    prometheus, installed with apt-get when missing; never skipped): `promtool check
#    rules` on every PrometheusRule (observability/ and the rendered overlays) and on
#    every dashboard query, `promtool test rules` on observability/tests/.
# Exits non-zero on any error; the last line is a one-line summary.
#
# Environment: KUBECTL (default kubectl), K8S_VALIDATE_NO_KUSTOMIZE=1 (skip step 1),
# VALIDATE_NODE_DIR (default k8s/.validate-node).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
node_dir="${VALIDATE_NODE_DIR:-$here/.validate-node}"
render_dir="$node_dir/rendered"
kubectl="${KUBECTL:-kubectl}"
# kubernetes-models 4.x runs on node >= 14 (Debian 12 ships nodejs 18); 5.x needs 22.
models_version=4.5.1
yaml_version=2.9.1
# CRD models of the same generation (node >= 14): cert-manager and the Gateway API.
cert_manager_version=4.4.4
gateway_api_version=0.5.1
prometheus_operator_version=4.4.4
# These overlays use kustomize v5 syntax (labels, target patches): kubectl >= 1.27.
min_kubectl_minor=27

log() { printf 'validate.sh: %s\n' "$*" >&2; }
finish() { # finish STATUS MESSAGE: the one-line summary, then exit
    printf 'k8s validate: %s\n' "$2"
    exit "$1"
}

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"
    elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo "$@"
    else return 1
    fi
}

# apt_candidate PKG: prints the installable version of PKG, or nothing. Package lists
# are refreshed once when they do not know PKG (a fresh machine has none).
apt_updated=0
apt_candidate() {
    command -v apt-cache >/dev/null 2>&1 || return 0
    local cand
    cand="$(apt-cache policy "$1" 2>/dev/null | awk '/Candidate:/ { print $2 }')"
    if { [ -z "$cand" ] || [ "$cand" = "(none)" ]; } && [ "$apt_updated" = 0 ]; then
        apt_updated=1
        as_root apt-get update -qq >/dev/null 2>&1 || true
        cand="$(apt-cache policy "$1" 2>/dev/null | awk '/Candidate:/ { print $2 }')"
    fi
    [ "$cand" = "(none)" ] || printf '%s' "$cand"
}

apt_install() {
    log "installing $1 with apt-get"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$1" >&2
}

# ---------------------------------------------------------------- node and packages

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    for pkg in nodejs npm; do
        if [ -n "$(apt_candidate "$pkg")" ]; then apt_install "$pkg" || true; fi
    done
    command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 ||
        finish 1 "FAILED: node and npm are needed (apt-get install nodejs npm)"
fi

installed_version() { # installed_version PKG: version under node_dir, or nothing
    node -e 'try { console.log(require(process.argv[1] + "/node_modules/" + process.argv[2] + "/package.json").version) } catch {}' \
        "$node_dir" "$1"
}
if [ "$(installed_version kubernetes-models)" != "$models_version" ] || [ "$(installed_version yaml)" != "$yaml_version" ] ||
   [ "$(installed_version @kubernetes-models/cert-manager)" != "$cert_manager_version" ] ||
   [ "$(installed_version @kubernetes-models/gateway-api)" != "$gateway_api_version" ] ||
   [ "$(installed_version @kubernetes-models/prometheus-operator)" != "$prometheus_operator_version" ]; then
    log "installing kubernetes-models@$models_version (+ cert-manager, gateway-api, prometheus-operator models) yaml@$yaml_version into $node_dir"
    mkdir -p "$node_dir"
    cat >"$node_dir/package.json" <<EOF
{ "name": "k8s-validate", "private": true,
  "dependencies": { "kubernetes-models": "$models_version", "yaml": "$yaml_version",
                    "@kubernetes-models/cert-manager": "$cert_manager_version",
                    "@kubernetes-models/gateway-api": "$gateway_api_version",
                    "@kubernetes-models/prometheus-operator": "$prometheus_operator_version" } }
EOF
    if ! (cd "$node_dir" && npm install --no-audit --no-fund --loglevel=error >npm-install.log 2>&1); then
        cat "$node_dir/npm-install.log" >&2
        finish 1 "FAILED: npm install of kubernetes-models@$models_version did not succeed"
    fi
fi

# ---------------------------------------------------------------- kustomize

# kubectl_minor BIN: the client's minor version (20 for v1.20.2), or nothing.
kubectl_minor() {
    "$1" version --client -o json 2>/dev/null |
        node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{try{console.log(parseInt(JSON.parse(s).clientVersion.minor,10))}catch{}})'
}

renderer=""        # the command that renders a kustomization directory
renderer_name=""
skip_reason=""
if [ "${K8S_VALIDATE_NO_KUSTOMIZE:-0}" = 1 ]; then
    skip_reason="K8S_VALIDATE_NO_KUSTOMIZE=1"
elif command -v kustomize >/dev/null 2>&1 && kustomize version 2>/dev/null | grep -q '^v\?5\.'; then
    renderer="kustomize build"
    renderer_name="kustomize $(kustomize version 2>/dev/null)"
else
    if ! command -v "$kubectl" >/dev/null 2>&1; then
        cand="$(apt_candidate kubernetes-client)"
        # "1.20.5+really1.20.2-1.1+deb12u1" -> 20
        cand_minor="$(printf '%s' "$cand" | sed -E 's/.*really//; s/^[0-9]+://; s/^([0-9]+)\.([0-9]+).*/\2/')"
        if [ -z "$cand" ]; then
            skip_reason="kubectl is not installed and apt has no kubernetes-client package"
        elif [ "${cand_minor:-0}" -lt "$min_kubectl_minor" ] 2>/dev/null; then
            skip_reason="kubectl is not installed and apt's kubernetes-client $cand bundles a kustomize too old for these overlays (kubectl >= 1.$min_kubectl_minor needed)"
        elif ! apt_install kubernetes-client; then
            skip_reason="kubectl is not installed and apt-get install kubernetes-client failed (not root?)"
        fi
    fi
    if [ -z "$skip_reason" ]; then
        if ! command -v "$kubectl" >/dev/null 2>&1; then
            skip_reason="kubectl not found"
        else
            minor="$(kubectl_minor "$kubectl")"
            if [ "${minor:-0}" -lt "$min_kubectl_minor" ] 2>/dev/null; then
                skip_reason="$kubectl is v1.${minor:-?}; its kustomize cannot render these overlays (kubectl >= 1.$min_kubectl_minor needed)"
            else
                renderer="$kubectl kustomize"
                renderer_name="kustomize $("$kubectl" version --client 2>/dev/null | sed -n 's/^Kustomize Version: //p' | head -n1) via kubectl v1.$minor"
            fi
        fi
    fi
fi

# ---------------------------------------------------------------- validate

mkdir -p "$render_dir"
args=()
render_errors=0
if [ -n "$renderer" ]; then
    for overlay in dev prod; do
        out="$render_dir/$overlay.yaml"
        if $renderer "$here/overlays/$overlay" >"$out" 2>"$render_dir/$overlay.err"; then
            [ -s "$render_dir/$overlay.err" ] && sed "s/^/validate.sh: $overlay: /" "$render_dir/$overlay.err" >&2
            args+=(--set "overlay/$overlay")
            [ "$overlay" = prod ] && args+=(--external-secrets)   # created out of band
            args+=("$out")
        else
            render_errors=$((render_errors + 1))
            printf 'ERROR [overlay/%s] %s failed:\n' "$overlay" "$renderer"
            sed 's/^/  /' "$render_dir/$overlay.err"
        fi
    done
else
    log "skipping the kustomize step: $skip_reason; validating base/*.yaml directly"
fi

base_files=()
for f in "$here"/base/*.yaml; do
    [ "$(basename "$f")" = kustomization.yaml ] || base_files+=("$f")
done
args+=(--set base "${base_files[@]}")
# Examples outside the kustomization (Gateway API), checked against base's objects.
args+=(--set examples "$here"/examples/*.yaml "${base_files[@]}")
# The observability component's objects, checked against base's Services.
args+=(--set observability "$here"/observability/servicemonitor.yaml "$here"/observability/prometheusrule.yaml
       "${base_files[@]}")

status=0
node "$here/validate-models.mjs" "${args[@]}" | tee "$render_dir/result.txt" || status=$?
summary_line="$(sed -n 's/^SUMMARY //p' "$render_dir/result.txt")"
[ -n "$summary_line" ] || finish 1 "FAILED: validate-models.mjs ended without a summary (exit $status)"
read -r sets objects errors <<<"$(printf '%s' "$summary_line" | sed -E 's/sets=([0-9]+) objects=([0-9]+) errors=([0-9]+)/\1 \2 \3/')"
errors=$((errors + render_errors))

# ---------------------------------------------------------------- alerting rules

if ! command -v promtool >/dev/null 2>&1; then
    if [ -n "$(apt_candidate prometheus)" ]; then apt_install prometheus || true; fi
    command -v promtool >/dev/null 2>&1 ||
        finish 1 "FAILED: promtool is needed to check the alerting rules (apt-get install prometheus)"
fi
rules_dir="$render_dir/rules"
rm -rf "$rules_dir"
rule_sources=("$here"/observability/prometheusrule.yaml "$here"/observability/dashboards/*.json)
for overlay in dev prod; do
    if [ -s "$render_dir/$overlay.yaml" ] && grep -q '^kind: PrometheusRule' "$render_dir/$overlay.yaml"; then
        mkdir -p "$rules_dir/$overlay"
        node "$here/extract-rules.mjs" "$rules_dir/$overlay" "$render_dir/$overlay.yaml" >&2 || errors=$((errors + 1))
    fi
done
node "$here/extract-rules.mjs" "$rules_dir" "${rule_sources[@]}" >&2 || errors=$((errors + 1))
rule_files=0
while IFS= read -r f; do
    rule_files=$((rule_files + 1))
    if ! promtool check rules "$f" >"$f.check" 2>&1; then
        errors=$((errors + 1))
        printf 'ERROR [rules] promtool check rules %s:\n' "$f"
        sed 's/^/  /' "$f.check"
    fi
done < <(find "$rules_dir" -name '*.yaml' | sort)
# The alerts' unit tests read rules.yaml beside them.
cp "$here"/observability/tests/*.test.yaml "$rules_dir/"
cp "$rules_dir/prometheusrule-booking-platform.yaml" "$rules_dir/rules.yaml"
for t in "$rules_dir"/*.test.yaml; do
    if ! (cd "$rules_dir" && promtool test rules "$(basename "$t")") >"$t.out" 2>&1; then
        errors=$((errors + 1))
        printf 'ERROR [rules] promtool test rules %s:\n' "$(basename "$t")"
        sed 's/^/  /' "$t.out"
    fi
done
log "promtool: $rule_files rule files checked, $(ls "$rules_dir"/*.test.yaml | wc -l) alert test files run"
how="${renderer_name:-kustomize step skipped: $skip_reason}"
if [ "$status" -ne 0 ] || [ "$errors" -ne 0 ]; then
    finish 1 "FAILED: $errors error(s) in $objects objects, $sets set(s) ($how)"
fi
finish 0 "OK: $objects objects in $sets set(s), $rule_files rule files (promtool), 0 errors ($how)"
