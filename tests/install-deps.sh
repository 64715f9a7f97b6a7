#!/usr/bin/env bash
# Installs what the test suite needs beyond the `test` extra: Debian packages (git, gnupg,
# ssh-keygen, rsync for gitlab-ci-local, setpriv, promtool from prometheus, the CNCF distribution
# registry and skopeo for the OCI tests), the npm tools pinned by the committed package-lock.json
# files (sigstore-js verifier, gitlab-ci-local), and OPA's Go engine wheel (its metadata asks for
# Python >= 3.14 but it is ctypes-only and runs on 3.10+, hence --ignore-requires-python).
# Safe to run again; installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v git >/dev/null || need+=(git)
command -v gpg >/dev/null || need+=(gnupg)
command -v ssh-keygen >/dev/null || need+=(openssh-client)
command -v rsync >/dev/null || need+=(rsync)
command -v node >/dev/null || need+=(nodejs npm)
command -v setpriv >/dev/null || need+=(util-linux)
command -v promtool >/dev/null || need+=(prometheus)
command -v docker-registry >/dev/null || [ -x /usr/bin/docker-registry ] || need+=(docker-registry)
command -v skopeo >/dev/null || need+=(skopeo)
command -v openssl >/dev/null || need+=(openssl)
command -v java >/dev/null || need+=(default-jdk-headless)  # java.util.Properties, the .properties reference
command -v jq >/dev/null || need+=(jq)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
    # the Debian packages start their daemons; the tests start their own on loopback
    for svc in prometheus docker-registry prometheus-node-exporter; do
      if command -v systemctl >/dev/null; then systemctl stop "$svc" 2>/dev/null || true; fi
      pkill -x "$svc" 2>/dev/null || true
    done
  else
    echo "install-deps: please install: ${need[*]} (Debian: sudo apt-get install ${need[*]})" >&2
    exit 1
  fi
fi

for dir in tests/interop/node tests/integrations/node; do
  if [ -f "$dir/package-lock.json" ]; then
    npm ci --prefix "$dir" --no-audit --no-fund --loglevel=error
  fi
done

# OPA's Go engine in-process (x86_64 Linux, glibc >= 2.34): the default engine and the reference
# for the differential tests. Where no wheel exists, regopy is the engine and these tests fail in CI.
if [ "$(uname -s)-$(uname -m)" = "Linux-x86_64" ]; then
  python3 -m pip install -q --ignore-requires-python 'opa-golib-python-bindings==0.4.4'
fi
