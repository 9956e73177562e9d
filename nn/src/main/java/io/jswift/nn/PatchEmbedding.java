package io.jswift.nn;

import io.jswift.autograd.Variable;
import io.jswift.autograd.ops.LinearAlgebra;
import io.jswift.autograd.ops.Views;
import io.jswift.tensor.Generator;

/**
 * nn.Conv2d(C, E, kernel_size=P, stride=P) as ViT uses it: non-overlapping P×P patches, each a dot
 * product with the [E, C, P, P] kernel. Computed as a patch unfold (a view) and one GEMM.
 * Parameter names are Conv2d's: {@code weight} [E, C, P, P] and {@code bias} [E].
 */
public final class PatchEmbedding extends Module {
    private final int channels, embedDim, patch;
    private final Parameter weight, bias;

    public PatchEmbedding(int channels, int embedDim, int patch, Generator gen) {
        this.channels = channels;
        this.embedDim = embedDim;
        this.patch = patch;
        int fanIn = channels * patch * patch;
        this.weight = registerParameter("weight", new Parameter(Init.kaimingUniform(gen, fanIn, embedDim, channels, patch, patch)));
        this.bias = registerParameter("bias", new Parameter(Init.kaimingUniform(gen, fanIn, embedDim)));
    }

    /** pixels [B, C, H, W] with H and W multiples of the patch size → [B, (H/P)·(W/P), E], row-major patches. */
    public Variable forward(Variable pixels) {
        int[] s = pixels.shape();
        if (s.length != 4 || s[1] != channels || s[2] % patch != 0 || s[3] % patch != 0) {
            throw new IllegalArgumentException("expected pixel values [B, " + channels + ", H, W] with H and W multiples of "
                    + patch + ", got " + java.util.Arrays.toString(s));
        }
        int b = s[0], gh = s[2] / patch, gw = s[3] / patch;
        // [B, C, gh, P, gw, P] → [B, gh, gw, C, P, P] → [B, gh·gw, C·P·P]
        Variable patches = Views.reshape(Views.permute(Views.reshape(pixels, b, channels, gh, patch, gw, patch),
                0, 2, 4, 1, 3, 5), b, gh * gw, channels * patch * patch);
        Variable kernel = Views.reshape(weight.variable(), embedDim, channels * patch * patch);
        return LinearAlgebra.linear(patches, kernel, bias.variable());
    }
}
