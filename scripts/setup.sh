#!/usr/bin/env bash
# Installs what ksleuth needs on a fresh Debian machine, so that `make demo` and `make test` work from a clean
# clone. System packages go through apt-get when we are root (or have sudo); otherwise we name them and stop.
set -euo pipefail

# Debian packages the build and the tests need: the binary readers link libtracecmd/libtraceevent (.dat) and
# libbabeltrace2 (CTF); the tests compare against the trace-cmd and babeltrace2 programs.
SYSTEM_PACKAGES=(pkg-config libtracecmd-dev libtracefs-dev libtraceevent-dev libbabeltrace2-dev trace-cmd babeltrace2 ${KSLEUTH_SYSTEM_PACKAGES:-})

if ! command -v swift >/dev/null 2>&1; then
  if [ -x /opt/swift/usr/bin/swift ]; then
    echo "setup: swift is at /opt/swift/usr/bin but not on PATH; add it: export PATH=/opt/swift/usr/bin:\$PATH" >&2
  else
    echo "setup: no Swift toolchain found; install Swift 6.x (https://www.swift.org/install/linux/) and retry" >&2
  fi
  exit 1
fi

missing=()
for p in "${SYSTEM_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then SUDO=""; elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then SUDO="sudo"; else
    echo "setup: missing system packages: ${missing[*]}; install them with: sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  echo "setup: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
