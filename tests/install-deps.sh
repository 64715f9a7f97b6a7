#!/usr/bin/env bash
# Installs what the test suite needs beyond PyPI: Debian packages (git, gnupg, ssh-keygen, rsync
# for gitlab-ci-local) and the npm tools pinned by the committed package-lock.json files
# (sigstore-js verifier, gitlab-ci-local). Safe to run again; installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v git >/dev/null || need+=(git)
command -v gpg >/dev/null || need+=(gnupg)
command -v ssh-keygen >/dev/null || need+=(openssh-client)
command -v rsync >/dev/null || need+=(rsync)
command -v node >/dev/null || need+=(nodejs npm)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
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
