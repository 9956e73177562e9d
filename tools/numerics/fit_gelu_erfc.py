"""Fits Q(t) of erfc(z) ~= t * exp(-z^2 + Q(t)), t = 1 / (1 + z / 2), for the CPU backend's SIMD GELU
(backends/cpu/.../kernels/VectorGelu.java). Least squares on Chebyshev nodes of t for z in [0, 10],
reweighted towards the minimax fit, against Python's math.erfc. Prints the degree-9 coefficients
(constant term first) and the max relative error of erfc in exact (double) arithmetic.
Needs numpy: python3 tools/numerics/fit_gelu_erfc.py"""
import math

import numpy as np

P, ZMAX, DEG, N = 0.5, 10.0, 9, 4000
tmin = 1 / (1 + P * ZMAX)
k = np.arange(N)
t = (tmin + 1) / 2 + (1 - tmin) / 2 * np.cos(np.pi * (k + 0.5) / N)
z = (1 / t - 1) / P
target = np.array([math.log(math.erfc(zi) / ti) + zi * zi for zi, ti in zip(z, t)])
w = np.ones(N)
for _ in range(30):
    c = np.polynomial.polynomial.polyfit(t, target, DEG, w=w)
    err = np.polynomial.polynomial.polyval(t, c) - target
    w = w * (1 + np.abs(err) / np.max(np.abs(err)))
zs = np.linspace(0, ZMAX, 200001)
ts = 1 / (1 + P * zs)
approx = ts * np.exp(-zs * zs + np.polynomial.polynomial.polyval(ts, c))
rel = np.max(np.abs(approx / np.array([math.erfc(v) for v in zs]) - 1))
print("coefficients:", [float(v) for v in c])
print("max relative error of erfc:", rel)
