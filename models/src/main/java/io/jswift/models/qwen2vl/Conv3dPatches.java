package io.jswift.models.qwen2vl;

import io.jswift.autograd.Variable;
import io.jswift.autograd.ops.LinearAlgebra;
import io.jswift.autograd.ops.Views;
import io.jswift.models.config.Qwen2VlVisionConfig;
import io.jswift.nn.Init;
import io.jswift.nn.Module;
import io.jswift.nn.Parameter;
import io.jswift.tensor.Generator;

/**
 * Qwen2-VL's PatchEmbed.proj: nn.Conv3d(C, E, kernel = stride = (T, P, P), no bias) over pixel rows that are already
 * one kernel window each. The window's values come in the kernel's own (C, T, P, P) order, so the convolution is one
 * GEMM with the kernel flattened to [E, C·T·P·P]. Parameter: {@code weight} [E, C, T, P, P].
 */
final class Conv3dPatches extends Module {
    private final Parameter weight;
    private final int embed, patchDim;

    Conv3dPatches(Qwen2VlVisionConfig c, Generator gen) {
        embed = c.embedDim();
        patchDim = c.patchDim();
        weight = registerParameter("weight", new Parameter(Init.kaimingUniform(gen, patchDim, embed, c.inChannels(),
                c.temporalPatchSize(), c.patchSize(), c.patchSize())));
    }

    /** pixel rows [N, C·T·P·P] → [N, E]. */
    Variable forward(Variable pixels) {
        if (pixels.size(-1) != patchDim) {
            throw new IllegalArgumentException("pixel rows of " + pixels.size(-1) + " values, the patch embedding expects " + patchDim
                    + " (in_channels · temporal_patch_size · patch_size²): does the image processor match the model's vision_config?");
        }
        return LinearAlgebra.linear(pixels, Views.reshape(weight.variable(), embed, patchDim), null);
    }
}
