package io.jswift.train.pref;

/**
 * TRL 1.13 KTOTrainer's loss on the completion log-prob sums x [B] of a batch, with the reference's and the labels:
 * logratio = x - ref; desirable rows 1 - σ(β·(logratio - KL)) (kto) or 1 - σ(β·logratio) (apo_zero_unpaired), times
 * desirable_weight; undesirable rows 1 - σ(β·(KL - logratio)) (kto) or σ(β·logratio), times undesirable_weight; the
 * mean over the B rows. KL is a constant here (TRL detaches it and clamps it at 0).
 */
public record KtoLoss(Type type, double beta, double desirableWeight, double undesirableWeight) {
    public enum Type {
        KTO("kto"), APO_ZERO_UNPAIRED("apo_zero_unpaired");

        final String name;

        Type(String name) { this.name = name; }

        public static Type parse(String s) {
            for (Type t : values()) if (t.name.equals(s)) return t;
            throw new IllegalArgumentException("--loss_type for kto must be kto or apo_zero_unpaired, got '" + s + "'");
        }

        /** Whether the loss uses the KL estimate from mismatched pairs (TRL's calculate_KL). */
        public boolean estimatesKl() { return this == KTO; }
    }

    public KtoLoss {
        if (!(beta > 0)) throw new IllegalArgumentException("--beta must be > 0, got " + beta);
        if (!(desirableWeight >= 0) || !(undesirableWeight >= 0)) {
            throw new IllegalArgumentException("--desirable_weight and --undesirable_weight must be >= 0, got " + desirableWeight + ", " + undesirableWeight);
        }
    }

    public VectorLoss.Value evaluate(double[] x, double[] ref, boolean[] desirable, double kl) {
        int b = x.length;
        double loss = 0;
        double[] grad = new double[b];
        for (int i = 0; i < b; i++) {
            double logratio = x[i] - ref[i];
            double z, sign, w = desirable[i] ? desirableWeight : undesirableWeight;
            if (desirable[i]) {
                z = beta * (logratio - (type == Type.KTO ? kl : 0));
                sign = -1; // loss = 1 - σ(z), dz/dx = β
            } else if (type == Type.KTO) {
                z = beta * (kl - logratio);
                sign = 1; // loss = 1 - σ(z), dz/dx = -β
            } else {
                z = beta * logratio;
                sign = 1; // loss = σ(z), dz/dx = β
            }
            double s = DpoLoss.sigmoid(z);
            loss += w * (desirable[i] || type == Type.KTO ? 1 - s : s) / b;
            grad[i] = sign * w * beta * s * (1 - s) / b;
        }
        return new VectorLoss.Value(loss, grad);
    }
}
