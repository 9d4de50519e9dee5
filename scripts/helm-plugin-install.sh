#!/bin/sh
# Helm 4 install/update hook: puts a kubectl-smi binary at $HELM_PLUGIN_DIR/bin/kubectl-smi.
# A release archive (scripts/release.py) ships one binary per platform under
# bin/<os>-<arch>/: the one for this machine is used. Otherwise (a git checkout or a local
# directory) the kubectl-smi already on PATH (krew, cargo install) is used when there is
# one, or it is built from this directory with cargo.
set -eu
: "${HELM_PLUGIN_DIR:?HELM_PLUGIN_DIR is not set: this script is run by helm plugin install}"
mkdir -p "$HELM_PLUGIN_DIR/bin"
target="$HELM_PLUGIN_DIR/bin/kubectl-smi"
case "$(uname -s)" in
    Linux) os=linux ;;
    Darwin) os=darwin ;;
    *) os=$(uname -s | tr '[:upper:]' '[:lower:]') ;;
esac
case "$(uname -m)" in
    x86_64 | amd64) arch=amd64 ;;
    aarch64 | arm64) arch=arm64 ;;
    *) arch=$(uname -m) ;;
esac
shipped="$HELM_PLUGIN_DIR/bin/$os-$arch/kubectl-smi"
platforms=$(cd "$HELM_PLUGIN_DIR/bin" && for d in */; do [ -d "$d" ] && printf '%s ' "${d%/}"; done; true)
if [ -x "$shipped" ]; then
    ln -sf "$os-$arch/kubectl-smi" "$target"
    echo "kubectl-smi plugin: using the release binary for $os-$arch"
elif [ -n "$platforms" ]; then
    echo "kubectl-smi plugin: this release archive has no binary for $os-$arch (it has: $platforms)" >&2
    echo "install kubectl-smi another way (kubectl krew install smi, cargo install) and the plugin from its git repository" >&2
    exit 1
elif found=$(command -v kubectl-smi 2>/dev/null) && [ "$found" != "$target" ]; then
    ln -sf "$found" "$target"
    echo "kubectl-smi plugin: using $found"
elif command -v cargo >/dev/null 2>&1; then
    echo "kubectl-smi plugin: building from $HELM_PLUGIN_DIR with cargo (a few minutes)"
    cargo install --quiet --locked --path "$HELM_PLUGIN_DIR" --root "$HELM_PLUGIN_DIR"
else
    echo "kubectl-smi plugin: no kubectl-smi on PATH and no cargo to build it;" >&2
    echo "install kubectl-smi (e.g. kubectl krew install smi) and run: helm plugin update kubectl-smi" >&2
    exit 1
fi
"$target" version
