#!/usr/bin/env bash
# Post-rendering the same stream three ways, in one go:
#   kubectl-smi render           (identity on the 18 service accounts, network policy,
#                                 ServiceMonitor, secret references, ...)
#   kubectl kustomize            (the usual post-renderer: 18 ServiceAccount patches and one
#                                 added resource, i.e. fewer injections than kubectl-smi)
#   serde-saphyr parse + re-emit (the cost of re-serializing every document)
# Reports medians, their ratios, and peak RSS of kubectl-smi for 2 MB and 20 MB inputs.
# usage: bench/compare.sh [RUNS]      (needs python3 and kubectl; builds in release mode)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cargo build --release --quiet --bin kubectl-smi --example saphyr-roundtrip
smi=target/release/kubectl-smi
saphyr=target/release/examples/saphyr-roundtrip

python3 bench/make_stream.py 2 "$work/stream-2mb.yaml"
python3 bench/make_stream.py 20 "$work/stream-20mb.yaml"
python3 bench/make_workloads.py 1200 "$work/workloads.yaml"

# The kustomize post-renderer: the stream as a resource, one JSON 6902 patch per service
# account, one added resource (the Script Worker policy kubectl-smi adds).
mkdir -p "$work/kustomize"
cp "$work/stream-2mb.yaml" "$work/kustomize/all.yaml"
"$smi" render -f examples/values-aws.yaml < examples/rendered-helm3.yaml 2>/dev/null \
  | python3 -c "
import sys, re
docs = re.split(r'(?m)^---\n', sys.stdin.read())
print('---\n' + next(d for d in docs if 'name: scriptworker-policy' in d), end='')" > "$work/kustomize/policy.yaml"
{
  echo "resources: [all.yaml, policy.yaml]"
  echo "patches:"
  for sa in $("$smi" policies -f examples/values-aws.yaml -o json \
              | python3 -c "import json, sys; print(' '.join(r['serviceAccount'] for r in json.load(sys.stdin)['roles']))"); do
    cat <<PATCH
  - target: {kind: ServiceAccount, name: $sa}
    patch: |-
      - {op: add, path: /metadata/annotations/smi.dtplatform.io~1role-arn, value: "arn:aws:iam::123456789012:role/dtp-prod-$sa"}
PATCH
  done
} > "$work/kustomize/kustomization.yaml"
patches=$(grep -c "target:" "$work/kustomize/kustomization.yaml")
docs=$(grep -c '^---' "$work/stream-2mb.yaml")
echo "input: 2 MB, $docs documents; kustomize applies $patches ServiceAccount patches and adds 1 resource"

measure() { python3 bench/measure.py "$runs" "$@"; }
smi2=$(measure "$work/stream-2mb.yaml" -- "$smi" render -f examples/values-aws.yaml)
kus2=$(measure - -- kubectl kustomize "$work/kustomize")
sap2=$(measure "$work/stream-2mb.yaml" -- "$saphyr")
smi20=$(python3 bench/measure.py 1 "$work/stream-20mb.yaml" -- "$smi" render -f examples/values-aws.yaml)
# Every document changed: 18 service accounts and 1,200 workloads running as them.
smiw=$(measure "$work/workloads.yaml" -- "$smi" render -f examples/values-aws.yaml)
sapw=$(measure "$work/workloads.yaml" -- "$saphyr")

python3 - "$smi2" "$kus2" "$sap2" "$smi20" "$smiw" "$sapw" <<'PY'
import json, sys
smi, kus, sap, smi20, smiw, sapw = (json.loads(a) for a in sys.argv[1:])
print(f"kubectl-smi render      median {smi['median_s']:.3f} s  peak RSS {smi['peak_rss_mib']:.0f} MiB (2 MB)")
print(f"kubectl kustomize       median {kus['median_s']:.3f} s")
print(f"serde-saphyr round trip median {sap['median_s']:.3f} s")
print(f"kubectl-smi on 20 MB:          {smi20['median_s']:.3f} s  peak RSS {smi20['peak_rss_mib']:.0f} MiB")
print(f"ratio kustomize / kubectl-smi:         {kus['median_s'] / smi['median_s']:.0f}x")
print(f"ratio serde-saphyr / kubectl-smi:      {sap['median_s'] / smi['median_s']:.1f}x")
print(f"peak RSS ratio 20 MB / 2 MB:           {smi20['peak_rss_mib'] / smi['peak_rss_mib']:.1f}x (input ratio 10x)")
print(f"all changed (1,200 workloads): kubectl-smi {smiw['median_s']:.3f} s, serde-saphyr {sapw['median_s']:.3f} s, "
      f"ratio serde-saphyr / kubectl-smi {sapw['median_s'] / smiw['median_s']:.2f}x")
PY
