#!/usr/bin/env bash
# Compiles the CUDA kernels to PTX at build time (called by Maven in process-resources; no GPU needed).
#   build-ptx.sh OUT_DIR
# Finds nvcc in $CUDA_HOME/bin, /usr/local/cuda/bin or PATH. Without nvcc it writes nothing and says so: the
# backend then reports "unavailable: built without nvcc". With nvcc every failure fails the build.
# Target: PTX for compute_80 (bf16 tensor cores, Ampere), which the driver JIT-compiles for sm_80, sm_86, sm_89
# and sm_90 (A100, RTX 30/40, L4, H100/H200) on first load. The PTX ISA version is nvcc's own (PTX 9.0 from
# CUDA 13.0), so the driver must support that CUDA version: manifest.properties records it for the runtime check.
set -euo pipefail
OUT="$1"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SRC="$HERE/src/main/cuda"
ARCH=compute_80

NVCC=""
for c in "${CUDA_HOME:+$CUDA_HOME/bin/nvcc}" /usr/local/cuda/bin/nvcc "$(command -v nvcc 2>/dev/null || true)"; do
  if [ -n "$c" ] && [ -x "$c" ]; then NVCC="$c"; break; fi
done
if [ -z "$NVCC" ]; then
  echo "build-ptx: nvcc not found (CUDA_HOME, /usr/local/cuda/bin, PATH): CUDA kernels not built; the cuda backend will report 'built without nvcc'"
  rm -rf "$OUT"
  exit 0
fi

# "Cuda compilation tools, release 13.0, V13.0.88" -> 13.0 -> 13000 (cuDriverGetVersion's encoding)
RELEASE="$("$NVCC" --version | sed -n 's/.*release \([0-9]*\)\.\([0-9]*\),.*/\1.\2/p')"
MAJOR="${RELEASE%%.*}"; MINOR="${RELEASE##*.}"
REQUIRED=$(( MAJOR * 1000 + MINOR * 10 ))

mkdir -p "$OUT"
for cu in "$SRC"/*.cu; do
  name="$(basename "$cu" .cu)"
  # -lineinfo keeps source lines for compute-sanitizer/Nsight; -Xptxas is not run for --ptx (the driver JITs).
  "$NVCC" --ptx -arch="$ARCH" -std=c++17 -O3 -lineinfo -I"$SRC" -o "$OUT/$name.ptx" "$cu"
done
ISA="$(sed -n 's/^\.version \([0-9.]*\).*/\1/p' "$(ls "$OUT"/*.ptx | head -1)")"
{
  echo "# written by backends/cuda/build-ptx.sh"
  echo "nvcc=$RELEASE"
  echo "ptx.isa=$ISA"
  echo "arch=$ARCH"
  echo "min.compute.capability=80"
  echo "min.driver.version=$REQUIRED"
  echo "modules=$(cd "$OUT" && ls *.ptx | sed 's/\.ptx$//' | tr '\n' ' ' | sed 's/ $//')"
} > "$OUT/manifest.properties"
echo "build-ptx: $(ls "$OUT"/*.ptx | wc -l) PTX module(s) for $ARCH with nvcc $RELEASE (PTX ISA $ISA, driver >= CUDA $RELEASE)"
