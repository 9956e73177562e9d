package io.jswift.train.encode;

/**
 * Which tokens of a conversation carry loss: ms-swift's {@code --loss_scale} base strategies
 * (swift/loss_scale/base.py).
 */
public enum LossScale {
    /** Every assistant reply, each with its end-of-turn token; nothing of system / user / tool turns or template text. */
    DEFAULT,
    /** Only the replies after the last user (or tool) message: usually the final assistant reply. */
    LAST_ROUND,
    /** Every token of the rendered conversation. */
    ALL;

    public static LossScale parse(String name) {
        return switch (name) {
            case "default" -> DEFAULT;
            case "last_round" -> LAST_ROUND;
            case "all" -> ALL;
            default -> throw new IllegalArgumentException("--loss_scale must be default, last_round or all, got '" + name + "'");
        };
    }
}
