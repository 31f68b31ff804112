#!/usr/bin/env bash
# Make sure Debian's Chromium and ChromeDriver are installed (same version, both in /usr/bin).
# As root and missing: install them with apt-get. Otherwise say why browser tests will skip.
set -euo pipefail
if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
  echo "ensure-browser: installing Debian chromium + chromium-driver" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium chromium-driver >/dev/null
  exit 0
fi
echo "ensure-browser: chromium/chromedriver not found and not root: browser tests will be SKIPPED." >&2
echo "ensure-browser: install Debian's 'chromium' and 'chromium-driver' to run them." >&2
