#!/usr/bin/env bash
# Run a command inside a private D-Bus session bus that owns a real, unlocked gnome-keyring
# Secret Service (org.freedesktop.secrets), so the keyring tests exercise a real OS keyring.
# Works as root, headless, with no stdin; nothing persists between runs and nothing is left
# running afterwards. Exports TELCLI_REAL_SECRET_SERVICE=1 for the wrapped command and exits
# with its exit code.
#
# Usage: bash .ci/with-secret-service.sh python -m pytest -q tests/storage
set -euo pipefail

if [ $# -eq 0 ]; then
  echo "usage: $0 COMMAND [ARGS...]" >&2
  exit 2
fi

if [ "${_TELCLI_SS_INNER:-}" != 1 ]; then
  # 1. Debian packages, installed only when missing (CI images rarely carry gnome-keyring).
  if ! command -v dbus-run-session >/dev/null || ! command -v dbus-send >/dev/null ||
     ! command -v gnome-keyring-daemon >/dev/null || ! command -v secret-tool >/dev/null; then
    export DEBIAN_FRONTEND=noninteractive
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    $sudo apt-get install -y -qq --no-install-recommends dbus gnome-keyring libsecret-tools >/dev/null
  fi
  # 2. A throwaway keyring directory and runtime directory: an old 'login' keyring with another
  #    password must never be found (it would stay locked and every call would fail).
  ss_tmp=$(mktemp -d /tmp/secret-service.XXXXXX)
  trap 'rm -rf "$ss_tmp"' EXIT
  mkdir -m 700 "$ss_tmp/data" "$ss_tmp/run"
  # 3. A private session bus. dbus-run-session stops the bus when the command ends, and
  #    gnome-keyring-daemon exits when its bus goes away.
  rc=0
  env -u DBUS_SESSION_BUS_ADDRESS _TELCLI_SS_INNER=1 \
    XDG_DATA_HOME="$ss_tmp/data" XDG_RUNTIME_DIR="$ss_tmp/run" \
    dbus-run-session -- bash "${BASH_SOURCE[0]}" "$@" </dev/null || rc=$?
  exit "$rc"
fi

bus_call() { # bus_call METHOD NAME -> the reply value
  dbus-send --session --print-reply=literal --dest=org.freedesktop.DBus \
    /org/freedesktop/DBus "org.freedesktop.DBus.$1" "string:$2" 2>/dev/null | awk '{print $NF}'
}

# 4. Start the daemon; it creates and unlocks a 'login' collection with the password read from
#    stdin. The password must be non-empty: an empty one makes it ask gcr-prompter, which fails
#    without a display.
password="ci-$$-$RANDOM$RANDOM$RANDOM"
printf '%s' "$password" | gnome-keyring-daemon --unlock --components=secrets >/dev/null
unset password

# 5. The daemon returns 10-50 ms before it owns org.freedesktop.secrets. A client that calls
#    earlier D-Bus-activates a second daemon, so wait for the name (up to 5 s).
for _ in $(seq 1 500); do
  [ "$(bus_call NameHasOwner org.freedesktop.secrets)" = true ] && break
  sleep 0.01
done
gkr_pid=$(bus_call GetConnectionUnixProcessID org.freedesktop.secrets)
[ -n "$gkr_pid" ] || {
  echo "gnome-keyring-daemon did not register org.freedesktop.secrets" >&2
  exit 1
}
trap 'kill "$gkr_pid" 2>/dev/null || true' EXIT

# 6. Smoke test: fail fast when the store is not usable, rather than in the middle of pytest.
printf ok | timeout 10 secret-tool store --label=telcli-ci-probe telcli-ci-probe 1
[ "$(timeout 10 secret-tool lookup telcli-ci-probe 1)" = ok ] || {
  echo "Secret Service smoke test failed" >&2
  exit 1
}
timeout 10 secret-tool clear telcli-ci-probe 1

# 7. Run the command; `set -e` must not swallow its exit code before the trap runs.
export TELCLI_REAL_SECRET_SERVICE=1
rc=0
"$@" || rc=$?
exit "$rc"
