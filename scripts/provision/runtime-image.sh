#!/usr/bin/env bash
# Builds the script runtime image (the container every core.script attempt runs in)
# without a container registry: debootstrap a minimal Debian from the mirror this
# machine's apt already uses, then `docker import` it. Connected machines can build
# the same image from docker/script-runtime/Dockerfile instead; keep the two in step,
# and bump the tag when the image's contents change.
set -euo pipefail

image=${PIPER_RUNTIME_IMAGE:-piper/script-runtime:1}
suite=${PIPER_RUNTIME_SUITE:-bookworm}
packages=python3,nodejs,ca-certificates
uid=10001
user=piper

if docker image inspect "$image" >/dev/null 2>&1; then
  echo "$image already present"
  exit 0
fi

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
command -v debootstrap >/dev/null 2>&1 || bash "$here/packages.sh" debootstrap

# The first URI of the apt source whose suites include $suite: deb822 files first,
# then the one-line format.
find_mirror() {
  local file uri
  for file in /etc/apt/sources.list.d/*.sources; do
    [[ -f $file ]] || continue
    uri=$(awk -v suite="$suite" '
      function flush() {
        if (uri == "" && types ~ /(^| )deb( |$)/ && (" " suites " ") ~ (" " suite " ") && tolower(enabled) != "no") uri = first
        types = suites = first = enabled = ""
      }
      /^[ \t]*#/ { next }
      /^[ \t]*$/ { flush(); next }
      { key = tolower($1); sub(/:$/, "", key); $1 = ""; sub(/^[ \t]+/, "") }
      key == "types" { types = $0 }
      key == "suites" { suites = $0 }
      key == "uris" { split($0, uris, /[ \t]+/); first = uris[1] }
      key == "enabled" { enabled = $0 }
      END { flush(); print uri }
    ' "$file")
    [[ -n $uri ]] && { echo "$uri"; return 0; }
  done
  for file in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [[ -f $file ]] || continue
    # deb [options] URI SUITE COMPONENT...
    uri=$(sed -e 's/#.*//' -e 's/\[[^]]*\]//' "$file" |
      awk -v suite="$suite" '$1 == "deb" && $3 == suite && uri == "" { uri = $2 } END { print uri }')
    [[ -n $uri ]] && { echo "$uri"; return 0; }
  done
  return 0
}

mirror=${PIPER_DEBIAN_MIRROR:-$(find_mirror)}
if [[ -z $mirror ]]; then
  echo "no apt source for $suite found in /etc/apt; set PIPER_DEBIAN_MIRROR" >&2
  exit 1
fi

workdir=$(mktemp -d /var/tmp/piper-runtime.XXXXXX)
rootfs=$workdir/rootfs
cleanup() {
  # debootstrap mounts proc and sys inside the target; never delete through a mount.
  findmnt -rn -o TARGET | grep -F "$rootfs/" | sort -r | xargs -r umount -l || true
  rm -rf --one-file-system "$workdir"
}
trap cleanup EXIT

keyring=/usr/share/keyrings/debian-archive-keyring.gpg
keyring_option=()
[[ -f $keyring ]] && keyring_option=(--keyring="$keyring")

echo "debootstrap $suite ($packages) from $mirror"
started=$SECONDS
debootstrap --variant=minbase --include="$packages" "${keyring_option[@]}" \
  "$suite" "$rootfs" "$mirror" >"$workdir/debootstrap.log" 2>&1 || {
  echo "debootstrap failed; last lines of its log:" >&2
  tail -n 40 "$workdir/debootstrap.log" >&2
  [[ -f $rootfs/debootstrap/debootstrap.log ]] && tail -n 40 "$rootfs/debootstrap/debootstrap.log" >&2
  exit 1
}
echo "debootstrap took $((SECONDS - started))s"

chroot "$rootfs" /usr/sbin/groupadd --gid "$uid" "$user"
chroot "$rootfs" /usr/sbin/useradd --uid "$uid" --gid "$uid" --create-home --shell /bin/bash "$user"
install -d -o "$uid" -g "$uid" "$rootfs/work"

# What a running script never needs: package caches and lists, docs, logs.
rm -rf "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/cache/apt/archives/*.deb \
  "$rootfs"/var/lib/apt/lists/* "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* \
  "$rootfs"/var/log/*.log "$rootfs"/debootstrap
: >"$rootfs/etc/resolv.conf"
: >"$rootfs/etc/hostname"

tar --numeric-owner -C "$rootfs" -c . | docker import \
  --change 'ENV LANG=C.UTF-8' \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change "USER $uid:$uid" \
  --change 'WORKDIR /work' \
  --change 'CMD ["/bin/bash"]' \
  --message "debootstrap $suite minbase + $packages" \
  - "$image" >/dev/null

echo "built $image in $((SECONDS - started))s: $(docker image inspect --format '{{.Size}}' "$image" | awk '{ printf "%.0f MB", $1 / 1e6 }')"
