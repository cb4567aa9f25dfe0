#!/usr/bin/env bash
# Makes sure a Docker engine answers on this machine. Where no init system starts one
# (CI machines, sandboxes), dockerd is started in the background and left running.
set -euo pipefail

log=${DOCKERD_LOG:-/tmp/dockerd.log}
wait_seconds=${DOCKERD_WAIT_SECONDS:-30}

if docker info >/dev/null 2>&1; then
  echo "Docker engine already running: $(docker version --format '{{.Server.Version}}')"
  exit 0
fi

if ! command -v dockerd >/dev/null 2>&1; then
  echo "dockerd is not installed (scripts/provision/packages.sh docker.io installs it)" >&2
  exit 1
fi

# /run is not a tmpfs on every machine, so pid files can outlive a restart and name a
# pid that another process has since taken; dockerd then refuses to start ("pid file
# found"), or takes that process for its containerd.
pid_of() {
  local file=$1 name=$2 pid
  pid=$(cat "$file" 2>/dev/null) || return 1
  [[ $(cat "/proc/$pid/comm" 2>/dev/null) == "$name" ]] && echo "$pid"
}
if pid=$(pid_of /var/run/docker.pid dockerd); then
  echo "dockerd (pid $pid) is running but not answering yet; waiting"
else
  pid_of /var/run/docker/containerd/containerd.pid containerd >/dev/null ||
    rm -f /var/run/docker/containerd/containerd.pid
  rm -f /var/run/docker.pid
  echo "starting dockerd (log: $log)"
  # setsid + closed stdio: the daemon must outlive this script and must not hold the
  # caller's output pipe open.
  setsid nohup dockerd >>"$log" 2>&1 </dev/null &
  pid=$!
fi

for ((i = 0; i < wait_seconds; i++)); do
  if docker info >/dev/null 2>&1; then
    echo "Docker engine $(docker version --format '{{.Server.Version}}') up after ${i}s (pid $pid)"
    exit 0
  fi
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "dockerd exited; last lines of $log:" >&2
    tail -n 40 "$log" >&2
    exit 1
  fi
  sleep 1
done

echo "dockerd did not answer within ${wait_seconds}s; last lines of $log:" >&2
tail -n 40 "$log" >&2
exit 1
