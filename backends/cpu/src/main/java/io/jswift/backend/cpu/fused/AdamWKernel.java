package io.jswift.backend.cpu.fused;

import io.jswift.backend.cpu.Parallel;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.AdamWConfig;
import jdk.incubator.vector.FloatVector;

import java.lang.foreign.MemorySegment;

/** One fused, in-place AdamW update over contiguous f32 param / grad / moments (torch.optim.AdamW's formula). */
public final class AdamWKernel {
    private AdamWKernel() {}

    public static void step(Tensor p, Tensor g, Tensor m, Tensor v, AdamWConfig c, long step) {
        Tensor gc = Contig.of(g);
        long n = p.numel();
        float decay = (float) (1 - c.lr() * c.weightDecay());
        float b1 = (float) c.beta1(), b2 = (float) c.beta2(), eps = (float) c.eps();
        double bc1 = 1 - Math.pow(c.beta1(), step), bc2 = 1 - Math.pow(c.beta2(), step);
        float stepSize = (float) (c.lr() / bc1), invSqrtBc2 = (float) (1 / Math.sqrt(bc2));
        MemorySegment ps = p.hostSegment(), gs = gc.hostSegment(), ms = m.hostSegment(), vs = v.hostSegment();
        long po = p.offset(), go = gc.offset(), mo = m.offset(), vo = v.offset();
        int blocks = (int) ((n + 8191) / 8192);
        Parallel.range(blocks, 8, (from, to) -> {
            long lo = (long) from * 8192, hi = Math.min(n, (long) to * 8192);
            long i = lo;
            for (; i + Vec.L <= hi; i += Vec.L) {
                FloatVector gv = Vec.load(gs, go + i);
                FloatVector mv = Vec.load(ms, mo + i).mul(b1).add(gv.mul(1 - b1));
                FloatVector vv = Vec.load(vs, vo + i).mul(b2).add(gv.mul(gv).mul(1 - b2));
                FloatVector denom = vv.sqrt().mul(invSqrtBc2).add(eps);
                FloatVector pv = Vec.load(ps, po + i).mul(decay).sub(mv.div(denom).mul(stepSize));
                Vec.store(mv, ms, mo + i);
                Vec.store(vv, vs, vo + i);
                Vec.store(pv, ps, po + i);
            }
            for (; i < hi; i++) {
                float gi = Vec.get(gs, go + i);
                float mi = b1 * Vec.get(ms, mo + i) + (1 - b1) * gi;
                float vi = b2 * Vec.get(vs, vo + i) + (1 - b2) * gi * gi;
                Vec.set(ms, mo + i, mi);
                Vec.set(vs, vo + i, vi);
                Vec.set(ps, po + i, Vec.get(ps, po + i) * decay - stepSize * mi / ((float) Math.sqrt(vi) * invSqrtBc2 + eps));
            }
        });
    }
}
