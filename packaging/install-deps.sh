#!/usr/bin/env bash
# Installs the Debian 12 packages Kevo needs to build, run and test. Idempotent: packages that
# are already installed are skipped, so a second run does no network work at all.
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake ninja-build ccache pkg-config git
  # GUI: Qt 6 Widgets, Charts, Test, QScintilla (Qt 6 build), and the OpenGL and xkb packages
  # that the Qt6Gui and Qt6Charts CMake configs require
  qt6-base-dev qt6-base-dev-tools qt6-charts-dev libqscintilla2-qt6-dev libgl-dev
  libqt6opengl6-dev libxkbcommon-dev
  # engine
  libsqlite3-dev libcurl4-openssl-dev nlohmann-json3-dev libseccomp-dev
  # the GEMM baseline a user would call
  libopenblas-dev
  # headless GUI tests and screenshots
  xvfb xauth fonts-dejavu-core
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages already installed"
  exit 0
fi

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
