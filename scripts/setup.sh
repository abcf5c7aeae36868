#!/usr/bin/env bash
# Installs everything the product and its tests need on a Debian machine, then starts the
# services they talk to. Safe to run again: each step checks before it acts.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
for pair in debootstrap:debootstrap sipp:sip-tester redis-server:redis-server \
            chromium:chromium pg_ctlcluster:postgresql sox:sox; do
  cmd=${pair%%:*}; pkg=${pair##*:}
  command -v "$cmd" >/dev/null 2>&1 || need_apt+=("$pkg")
done
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${need_apt[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

# Redis: the mirror and its tests need a server on 127.0.0.1:6379.
if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  echo "setup: starting redis-server on 127.0.0.1:6379"
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/standardiste.log
  for _ in $(seq 50); do redis-cli -h 127.0.0.1 ping >/dev/null 2>&1 && break; sleep 0.1; done
fi

# PostgreSQL: the history tests start their own throwaway clusters from these binaries, so
# only the packages are needed; a deployment points database.url at its own server.
ls /usr/lib/postgresql/*/bin/initdb >/dev/null

# Docker: the compose test builds the images and runs docker-compose.yml.
bash scripts/docker-engine.sh

# Python: a virtual environment in .venv with the project and its test tools.
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip >/dev/null
.venv/bin/python -m pip install -q -e '.[test]'
echo "setup: ready"
