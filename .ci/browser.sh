#!/usr/bin/env bash
# Browser tests of the web UI: installs headless Chromium, its WebDriver and a CJK font (without
# one, screenshots show empty boxes), then runs the server's browser flows at 390x844 and
# 1280x800. Screenshots and the printed visit brief land in target/screenshots/ (or
# $CARGO_TARGET_DIR/screenshots/). Look at them.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never CI=true

if ! command -v chromedriver >/dev/null || ! fc-list :lang=zh | grep -q .; then
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium chromium-driver fonts-noto-cjk
fi

ZHENGCE_BROWSER_TESTS=1 cargo test --locked -p zhengce-server --test it browser:: -- --nocapture
echo "browser tests passed; screenshots in ${CARGO_TARGET_DIR:-target}/screenshots/"
