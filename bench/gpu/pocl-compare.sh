#!/usr/bin/env bash
# The shared device kernels (backends/gpu behind the OpenCL driver) against the OpenCL backend of an older
# revision, on the same OpenCL device (PoCL here): builds bench/target/benchmarks.jar at REV (default: the last
# commit before backends/gpu took over the OpenCL ops) in a temporary checkout, with this tree's
# OpenClOpsQuick.java copied in (it uses only the public Backend API), and at this tree, then runs both.
#   bench/gpu/pocl-compare.sh [REV] [REPS]
# Timings on a busy machine are noise: run it alone.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
rev=${1:-$(git -C "$root" log --format=%H -1 --grep='^gpu: the OpenCL backend is GpuBackend' HEAD~0)^}
reps=${2:-5}
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
old=$(mktemp -d)
trap 'rm -rf "$old"' EXIT
git -C "$root" archive "$rev" | tar -x -C "$old"
cp "$root/bench/src/main/java/io/jswift/bench/OpenClOpsQuick.java" "$old/bench/src/main/java/io/jswift/bench/"
build() { (cd "$1" && mvn -q -B -ntp -pl bench -am package -DskipTests >/dev/null); }
run() { "$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -cp "$1/bench/target/benchmarks.jar" io.jswift.bench.OpenClOpsQuick "$reps"; }
build "$old"
build "$root"
echo "== old OpenCL kernels ($rev)"; run "$old"
echo "== shared kernels (this tree)"; run "$root"
