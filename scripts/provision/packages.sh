#!/usr/bin/env bash
# Installs Debian packages that npm cannot provide, and only those not installed yet,
# so that a rerun on a provisioned machine costs a few dpkg queries and no apt-get.
#
#   packages.sh PKG... [--optional PKG...]
#
# An optional package is installed only when the configured mirror has a candidate
# for it (docker-compose, say, which not every release ships).
set -euo pipefail

required=()
optional=()
target=required
for arg in "$@"; do
  case "$arg" in
    --optional) target=optional ;;
    *) if [[ $target == required ]]; then required+=("$arg"); else optional+=("$arg"); fi ;;
  esac
done

is_installed() {
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'ok installed'
}

has_candidate() {
  local candidate
  candidate=$(apt-cache policy "$1" 2>/dev/null | awk '/Candidate:/ { print $2 }')
  [[ -n $candidate && $candidate != '(none)' ]]
}

missing_required=()
for pkg in "${required[@]}"; do
  is_installed "$pkg" || missing_required+=("$pkg")
done
missing_optional=()
for pkg in "${optional[@]}"; do
  # Judged against the package lists already on the machine; if required packages
  # are missing too, it is judged again after apt-get update below.
  if ! is_installed "$pkg" && has_candidate "$pkg"; then missing_optional+=("$pkg"); fi
done

if (( ${#missing_required[@]} == 0 && ${#missing_optional[@]} == 0 )); then
  echo "already installed: ${required[*]} ${optional[*]}"
  exit 0
fi

apt_options=(-o Acquire::Retries=3 -o DPkg::Lock::Timeout=300)
export DEBIAN_FRONTEND=noninteractive
apt-get "${apt_options[@]}" update -qq

missing_optional=()
for pkg in "${optional[@]}"; do
  if is_installed "$pkg"; then continue; fi
  if has_candidate "$pkg"; then
    missing_optional+=("$pkg")
  else
    echo "skipping $pkg: the configured mirror has no candidate for it"
  fi
done

to_install=("${missing_required[@]}" "${missing_optional[@]}")
if (( ${#to_install[@]} > 0 )); then
  echo "installing: ${to_install[*]}"
  apt-get "${apt_options[@]}" install -y -qq --no-install-recommends "${to_install[@]}"
fi
