#!/usr/bin/env bash
# Regenerates docs/images/*.png from a real search on a bundled problem: a short kevo-cli search
# on softmax, then `kevo --screenshots` under Xvfb (main window and every inspector tab).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD_DIR:-build/default}
session=$(mktemp -d)/softmax.kevo
"$build/app/kevo-cli" search --problem softmax --budget "${BUDGET:-16}" --seed 7 -o "$session"
xvfb-run -a -s "-screen 0 1600x1000x24" "$build/app/kevo" --screenshots docs/images "$session"
ls -l docs/images
