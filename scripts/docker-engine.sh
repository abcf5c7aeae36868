#!/usr/bin/env bash
# A Docker engine for docker-compose.yml and its test (tests/integration/test_compose.py):
# Debian's docker.io and docker-compose, and dockerd started in the background when no
# engine answers (a machine without systemd). Safe to run again.
#
# A dockerd started here leaves the host's firewall and IP forwarding alone (no iptables
# rules, no docker0 bridge): every service of the compose file uses the host's network, and
# the image builds do too (build "network: host").
set -euo pipefail

need=()
command -v dockerd >/dev/null 2>&1 || need+=(docker.io)
command -v docker-compose >/dev/null 2>&1 || need+=(docker-compose)
if [ ${#need[@]} -gt 0 ]; then
  echo "docker-engine: installing Debian packages: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need[@]}" >/dev/null
fi

if ! docker info >/dev/null 2>&1; then
  log=/var/log/standardiste-dockerd.log
  echo "docker-engine: starting dockerd (log: $log)"
  setsid nohup dockerd --iptables=false --ip-forward=false --ip-masq=false --bridge=none \
    >>"$log" 2>&1 </dev/null &
  for _ in $(seq 120); do docker info >/dev/null 2>&1 && break; sleep 0.5; done
  if ! docker info >/dev/null 2>&1; then
    echo "docker-engine: dockerd did not answer in 60 s; end of $log:" >&2
    tail -n 20 "$log" >&2
    exit 1
  fi
fi
