#!/bin/sh
# Helm 4 install/update hook: puts a kubectl-smi binary at $HELM_PLUGIN_DIR/bin/kubectl-smi.
# Uses the kubectl-smi already on PATH (krew, a release archive, cargo install) when there is
# one; otherwise builds it from this directory with cargo.
set -eu
: "${HELM_PLUGIN_DIR:?HELM_PLUGIN_DIR is not set: this script is run by helm plugin install}"
mkdir -p "$HELM_PLUGIN_DIR/bin"
target="$HELM_PLUGIN_DIR/bin/kubectl-smi"
if found=$(command -v kubectl-smi 2>/dev/null) && [ "$found" != "$target" ]; then
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
