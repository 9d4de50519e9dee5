#!/usr/bin/env python3
"""Makes the release archives of kubectl-smi (standard library only).

    scripts/release.py [--out dist] [--target TRIPLE]... [--binary [TRIPLE=]PATH]...
                       [--tag vX.Y.Z] [--sign KEY] [--root DIR]

Writes into --out (default dist/):
  kubectl-smi-<version>.tgz            the Helm 4 plugin archive for `helm plugin install`:
                                       kubectl-smi/plugin.yaml, the install hook
                                       kubectl-smi/scripts/helm-plugin-install.sh and one
                                       kubectl-smi/bin/<os>-<arch>/kubectl-smi per target
                                       (the hook links bin/kubectl-smi, where plugin.yaml's
                                       platformCommand points, to the one for the machine)
  kubectl-smi-<version>.tgz.prov       with --sign KEY: its signature in Helm's provenance
                                       format (gpg clear-signed), so that
                                       `helm plugin install <url>/kubectl-smi-<version>.tgz`
                                       verifies it
  kubectl-smi-release-key.gpg          with --sign KEY: the key's public part as a binary
                                       keyring, for `helm plugin install --keyring FILE`
  kubectl-smi_v<version>_<os>_<arch>.tar.gz   the krew archive of each target (the binary)
  smi.yaml                             krew/smi.yaml rendered for the tag, as
                                       krew-release-bot renders it: each built platform's
                                       uri and sha256 (platforms not built are left out,
                                       and named on stderr)
  SHA256SUMS                           every archive's sha256 (also printed)

Binaries: `--target T` builds `cargo build --release --locked --target T` (the default
target is the machine's own); `--binary [T=]PATH` takes an already-built binary instead
(tests pass target/debug/kubectl-smi; T defaults to the machine's target).

Before anything is written it checks that Cargo.toml, plugin.yaml and the krew manifest
(and --tag, when given) agree on the version, and fails with the differing values if not.
Archives are reproducible: sorted entries, fixed times, owner root, modes 0644/0755.
"""

import argparse
import gzip
import hashlib
import io
import os
import re
import subprocess
import sys
import tarfile

NAME = "kubectl-smi"
# A fixed time for every archive entry (2024-01-01T00:00:00Z): the same inputs give the same bytes.
EPOCH = 1704067200

# Rust target triples as Helm (GOOS-GOARCH) and krew (os, arch) name them.
OS_WORDS = {"linux": "linux", "darwin": "darwin", "apple": "darwin", "windows": "windows"}
ARCH_WORDS = {"x86_64": "amd64", "aarch64": "arm64"}


class ReleaseError(Exception):
    pass


def platform_of(triple):
    """(os, arch) of a Rust target triple: x86_64-unknown-linux-gnu -> (linux, amd64)."""
    parts = triple.split("-")
    arch = ARCH_WORDS.get(parts[0])
    os_name = next((OS_WORDS[p] for p in parts[1:] if p in OS_WORDS), None)
    if not arch or not os_name:
        raise ReleaseError(f"unsupported target {triple!r}: expected e.g. x86_64-unknown-linux-gnu or aarch64-apple-darwin")
    return os_name, arch


def host_target():
    try:
        out = subprocess.run(["rustc", "-vV"], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError) as exc:
        raise ReleaseError(f"cannot ask rustc for the machine's target ({exc}); pass --target or --binary T=PATH")
    for line in out.splitlines():
        if line.startswith("host: "):
            return line[len("host: "):].strip()
    raise ReleaseError("rustc -vV names no host target; pass --target")


def cargo_version(root):
    text = read(os.path.join(root, "Cargo.toml"))
    package = re.search(r"^\[package\]\s*$(.*?)(?=^\[|\Z)", text, re.M | re.S)
    found = package and re.search(r'^version\s*=\s*"([^"]+)"\s*$', package.group(1), re.M)
    if not found:
        raise ReleaseError("Cargo.toml: no version in [package]")
    return found.group(1)


def plugin_version(root):
    text = read(os.path.join(root, "plugin.yaml"))
    name = re.search(r"^name:\s*(\S+)\s*$", text, re.M)
    if not name or name.group(1).strip("'\"") != NAME:
        raise ReleaseError(f"plugin.yaml: the plugin must be named {NAME} (Helm 4 finds post-renderers by name)")
    found = re.search(r"^version:\s*(\S+)\s*$", text, re.M)
    if not found:
        raise ReleaseError("plugin.yaml: no top-level version")
    return found.group(1).strip("'\"")


def krew_version(template):
    """The krew manifest's spec.version: the bot's `{{ .TagName }}` (None) or a literal."""
    found = re.search(r"^\s+version:\s*(.+?)\s*$", template, re.M)
    if not found:
        raise ReleaseError("krew/smi.yaml: no spec.version")
    value = found.group(1).strip("'\"")
    return None if value == "{{ .TagName }}" else value


def check_versions(root, tag):
    """The release's version, once every place that names it agrees; else a ReleaseError."""
    cargo = cargo_version(root)
    plugin = plugin_version(root)
    krew = krew_version(read(os.path.join(root, "krew", "smi.yaml")))
    wanted = f"v{cargo}"
    problems = []
    if plugin != cargo:
        problems.append(f"plugin.yaml says version {plugin}")
    if krew is not None and krew != wanted:
        problems.append(f"krew/smi.yaml says spec.version {krew} (krew wants {wanted}, or {{{{ .TagName }}}})")
    if tag is not None and tag != wanted:
        problems.append(f"the release tag is {tag}")
    if problems:
        raise ReleaseError(
            f"the versions disagree: Cargo.toml says {cargo}, but " + "; ".join(problems)
            + f". Set the same version everywhere (plugin.yaml `version: {cargo}`, tag {wanted}) and run again."
        )
    return cargo


def read(path):
    try:
        with open(path, encoding="utf-8") as f:
            return f.read()
    except OSError as exc:
        raise ReleaseError(f"cannot read {path}: {exc}")


def tar_gz(entries):
    """A reproducible .tar.gz of entries [(name, mode, bytes | None for a directory)]."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, mode, data in sorted(entries, key=lambda e: e[0]):
            info = tarfile.TarInfo(name)
            info.mtime = EPOCH
            info.uid = info.gid = 0
            info.uname = info.gname = "root"
            info.mode = mode
            if data is None:
                info.type = tarfile.DIRTYPE
                tar.addfile(info)
            else:
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb", mtime=EPOCH, filename="", compresslevel=6) as gz:
        gz.write(raw.getvalue())
    return out.getvalue()


def directories(paths):
    """Every parent directory of paths, as archive entries."""
    seen = set()
    for path in paths:
        parts = path.split("/")[:-1]
        for i in range(1, len(parts) + 1):
            seen.add("/".join(parts[:i]))
    return [(d, 0o755, None) for d in seen]


def plugin_archive(root, binaries):
    """The Helm plugin archive: everything under one kubectl-smi/ folder (Helm 4 finds
    plugin.yaml at the top or one folder down)."""
    files = [
        (f"{NAME}/plugin.yaml", 0o644, read_bytes(os.path.join(root, "plugin.yaml"))),
        (
            f"{NAME}/scripts/helm-plugin-install.sh",
            0o755,
            read_bytes(os.path.join(root, "scripts", "helm-plugin-install.sh")),
        ),
    ]
    for (os_name, arch), binary in sorted(binaries.items()):
        files.append((f"{NAME}/bin/{os_name}-{arch}/{NAME}", 0o755, read_bytes(binary)))
    return tar_gz(files + directories([f[0] for f in files]))


def read_bytes(path):
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as exc:
        raise ReleaseError(f"cannot read {path}: {exc}")


def render_krew(template, tag, built):
    """krew-release-bot's rendering of the template for `tag`: {{ .TagName }} replaced, each
    `{{ addURIAndSha "URL" .TagName }}` line replaced by the uri and the sha256 of the
    archive built for that platform. A platform item with no archive is left out.
    Returns (text, platforms left out)."""
    text = template.replace("{{ .TagName }}", tag)
    head, sep, rest = text.partition("  platforms:\n")
    if not sep:
        raise ReleaseError("krew/smi.yaml: no spec.platforms")
    items = re.split(r"(?m)^(?=    - )", rest)
    out, missing = [head, sep], []
    for item in items:
        if not item.strip():
            continue
        uri = re.search(r'addURIAndSha "([^"]+)"', item)
        if not uri:
            out.append(item)
            continue
        platform = re.search(r"_([a-z0-9]+)_([a-z0-9]+)\.tar\.gz$", uri.group(1))
        key = (platform.group(1), platform.group(2)) if platform else None
        if key not in built:
            missing.append(f"{key[0]}/{key[1]}" if key else uri.group(1))
            continue
        lines = []
        for line in item.splitlines(keepends=True):
            if "addURIAndSha" in line:
                indent = line[: len(line) - len(line.lstrip())]
                lines.append(f"{indent}uri: {uri.group(1)}\n{indent}sha256: {built[key]}\n")
            else:
                lines.append(line)
        out.append("".join(lines))
    return "".join(out), missing


def provenance_block(plugin_yaml, archive_name, sha256):
    """The message Helm's provenance check reads (pkg/provenance): the plugin's metadata,
    the YAML end marker `...`, then the archive's checksum under `files:`."""
    return f"{plugin_yaml.rstrip()}\n\n...\nfiles:\n  {archive_name}: sha256:{sha256}\n"


def sign(block, key, prov_path):
    try:
        signed = subprocess.run(
            ["gpg", "--batch", "--yes", "--armor", "--clearsign", "--local-user", key],
            input=block.encode(),
            capture_output=True,
            check=True,
        ).stdout
    except OSError as exc:
        raise ReleaseError(f"--sign needs gpg: {exc}")
    except subprocess.CalledProcessError as exc:
        raise ReleaseError(f"gpg could not sign with key {key!r}: {exc.stderr.decode(errors='replace').strip()}")
    with open(prov_path, "wb") as f:
        f.write(signed)


KEYRING_NAME = "kubectl-smi-release-key.gpg"


def export_key(key, path):
    """The signing key's public part as a binary OpenPGP keyring, the form
    `helm plugin install --keyring FILE` reads, published beside the archive."""
    try:
        exported = subprocess.run(
            ["gpg", "--batch", "--export", key], capture_output=True, check=True
        ).stdout
    except (OSError, subprocess.CalledProcessError) as exc:
        raise ReleaseError(f"gpg could not export the public key {key!r}: {exc}")
    if not exported:
        raise ReleaseError(f"gpg exported nothing for {key!r}")
    with open(path, "wb") as f:
        f.write(exported)


def build(root, target):
    command = ["cargo", "build", "--release", "--locked", "--target", target]
    print("release: " + " ".join(command), file=sys.stderr)
    if subprocess.run(command, cwd=root).returncode != 0:
        raise ReleaseError(f"cargo build for {target} failed")
    target_dir = os.environ.get("CARGO_TARGET_DIR") or os.path.join(root, "target")
    return os.path.join(target_dir, target, "release", NAME)


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=None, help="where the archives go (default: <root>/dist)")
    parser.add_argument("--target", action="append", default=[], help="a Rust target triple to build (repeatable)")
    parser.add_argument("--binary", action="append", default=[], help="[TRIPLE=]PATH of an already-built binary (repeatable)")
    parser.add_argument("--tag", help="the release tag (vX.Y.Z), checked against the version")
    parser.add_argument("--sign", metavar="KEY", help="gpg key (id or e-mail) to sign the plugin archive with")
    parser.add_argument("--root", default=os.path.dirname(os.path.dirname(os.path.abspath(__file__))), help="the repository (default: this script's)")
    args = parser.parse_args(argv)
    root = os.path.abspath(args.root)
    try:
        version = check_versions(root, args.tag)
        tag = f"v{version}"
        binaries = {}
        for spec in args.binary:
            triple, sep, path = spec.rpartition("=")
            binaries[platform_of(triple if sep else host_target())] = os.path.abspath(path)
        targets = args.target or ([] if binaries else [host_target()])
        for triple in targets:
            binaries[platform_of(triple)] = build(root, triple)
        for path in binaries.values():
            if not os.access(path, os.X_OK):
                raise ReleaseError(f"{path} is not an executable binary")

        out = os.path.abspath(args.out or os.path.join(root, "dist"))
        os.makedirs(out, exist_ok=True)
        written = {}
        plugin_name = f"{NAME}-{version}.tgz"
        written[plugin_name] = plugin_archive(root, binaries)
        for (os_name, arch), binary in sorted(binaries.items()):
            written[f"{NAME}_{tag}_{os_name}_{arch}.tar.gz"] = tar_gz([(NAME, 0o755, read_bytes(binary))])
        sums = {name: hashlib.sha256(data).hexdigest() for name, data in written.items()}
        for name, data in written.items():
            with open(os.path.join(out, name), "wb") as f:
                f.write(data)

        built = {platform_of_krew(name): sums[name] for name in written if name.endswith(".tar.gz")}
        krew, missing = render_krew(read(os.path.join(root, "krew", "smi.yaml")), tag, built)
        with open(os.path.join(out, "smi.yaml"), "w", encoding="utf-8") as f:
            f.write(krew)
        if missing:
            print(f"release: the krew manifest {os.path.join(out, 'smi.yaml')} leaves out the platforms not built: {', '.join(missing)}", file=sys.stderr)

        if args.sign:
            block = provenance_block(read(os.path.join(root, "plugin.yaml")), plugin_name, sums[plugin_name])
            sign(block, args.sign, os.path.join(out, plugin_name + ".prov"))
            export_key(args.sign, os.path.join(out, KEYRING_NAME))

        lines = [f"{sums[name]}  {name}\n" for name in sorted(written)]
        with open(os.path.join(out, "SHA256SUMS"), "w", encoding="utf-8") as f:
            f.writelines(lines)
        sys.stdout.writelines(lines)
        return 0
    except ReleaseError as exc:
        print(f"release: {exc}", file=sys.stderr)
        return 1


def platform_of_krew(name):
    found = re.search(r"_([a-z0-9]+)_([a-z0-9]+)\.tar\.gz$", name)
    return found.group(1), found.group(2)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
