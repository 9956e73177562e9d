#!/usr/bin/env bash
# Builds the carry of bench/gpu/check.sh: everything a GPU machine without a JDK or Maven needs besides the working
# tree, in one folder of at most 64 MiB (default .gpu-carry at the repository root, git-ignored):
#   runtime.tgz              a jlink image (the JDK modules jswift uses, jdk.incubator.vector included), gzipped:
#                            the image's libjvm.so alone is 29 MB and compresses to a third
#   jswift-cli.jar           the CLI with every backend (cuda's PTX inside), as ./jswift runs it
#   jswift-bench-gpu.jar     io.jswift.bench.GpuBench (jswift's side of the GPU benchmarks)
#   test/*.jar               JUnit's console launcher and the test classes check.sh runs on the GPU:
#                            backends/cuda's (CudaConformanceTest), backends/opencl's (the PoCL rehearsal), the
#                            device end-to-end tests of cli, the test classes they use
#                            (the fixtures stay in the working tree)
#   MANIFEST                 what was built, from which commit, and the sizes
# Usage: bench/gpu/build-carry.sh [CARRY_DIR]     (needs JDK 25 and Maven; never installs into ~/.m2;
#        JSWIFT_CARRY_NO_BUILD=1 packs the jars the last build left instead of building)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CARRY="${1:-$ROOT/.gpu-carry}"
JDK="$("$ROOT/bin/find-java")"
LIMIT=$((64 * 1024 * 1024))
JUNIT_CONSOLE=org.junit.platform:junit-platform-console-standalone:1.11.4
cd "$ROOT"

if [ "${JSWIFT_CARRY_NO_BUILD:-0}" != 1 ]; then
  echo "build-carry: building jars (mvn package -DskipTests: test classes are compiled, not run)"
  JAVA_HOME="$JDK" mvn -q -B -ntp -pl cli,bench -am package -DskipTests
fi
rm -rf "$CARRY"
mkdir -p "$CARRY/test"
cp cli/target/jswift-cli.jar "$CARRY/"
(cd bench/target/classes && "$JDK/bin/jar" --create --file "$CARRY/jswift-bench-gpu.jar" io/jswift/bench/GpuBench*.class)
for m in backends/cuda backends/opencl cli; do
  name="$(basename "$m")"
  "$JDK/bin/jar" --create --file "$CARRY/test/jswift-$name-tests.jar" -C "$m/target/test-classes" .
done
cp tensor/target/jswift-tensor-*-tests.jar "$CARRY/test/"
# models' test classes without their 20 MB of fixture checkpoints: check.sh puts the working tree's
# models/src/test/resources on the class path instead
"$JDK/bin/jar" --create --file "$CARRY/test/jswift-models-tests.jar" -C models/target/test-classes io
# a conformance suite's test-jar, when the build has one (issue 20's backends/conformance)
for t in backends/*/target/*conformance*-tests.jar backends/*/target/jswift-backend-gpu-*-tests.jar; do
  [ -e "$t" ] && cp "$t" "$CARRY/test/"
done
JAVA_HOME="$JDK" mvn -q -B -ntp dependency:copy -Dartifact="$JUNIT_CONSOLE" -DoutputDirectory="$CARRY/test"

# The modules jdeps finds in jswift's classes and its libraries (jinjava's java.beans needs java.desktop), plus the
# ones reached only by reflection or service loading (JMX for Jetty's and the JVM's beans, zipfs, EC crypto for
# HTTPS clients in tests).
MODULES=java.base,java.desktop,java.logging,java.management,java.naming,java.net.http,java.sql,jdk.crypto.ec,jdk.incubator.vector,jdk.management,jdk.unsupported,jdk.zipfs
echo "build-carry: jlink $MODULES"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
"$JDK/bin/jlink" --add-modules "$MODULES" --strip-debug --no-man-pages --no-header-files --output "$tmp/runtime" 2>&1 | grep -v "incubator modules" || true
# libjsig: the launcher preloads it for PoCL (see ./jswift); jlink copies it with the server VM
tar -C "$tmp" -czf "$CARRY/runtime.tgz" runtime

total=$(du -sb "$CARRY" | cut -f1)
{
  echo "commit $(git rev-parse --short HEAD)$(git diff --quiet || echo ' (with uncommitted changes)')"
  echo "built $(date -u +%Y-%m-%dT%H:%MZ) with $("$JDK/bin/java" -version 2>&1 | head -1)"
  echo "modules $MODULES"
  (cd "$CARRY" && du -ab . | sort -k2 | grep -v '/$' | awk '{printf "%10d %s\n", $1, $2}')
  echo "total $total bytes"
} > "$CARRY/MANIFEST"
cat "$CARRY/MANIFEST"
if [ "$total" -gt "$LIMIT" ]; then
  echo "build-carry: error: $CARRY is $total bytes, over the 64 MiB a GPU check may carry" >&2
  exit 1
fi
echo "build-carry: $CARRY ready ($((total / 1024 / 1024)) MiB of 64)"
