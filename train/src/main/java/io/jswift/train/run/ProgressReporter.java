package io.jswift.train.run;

import java.io.PrintStream;
import java.util.Locale;

/**
 * Progress of a run: on a terminal, one bar redrawn in place after every step (steps, percent, elapsed,
 * ETA, last loss) with the logged lines printed above it; otherwise (a file, a pipe, CI) only the plain
 * logged lines, each with the ETA appended.
 */
final class ProgressReporter {
    private static final int BAR = 24;
    private final PrintStream out;
    private final boolean terminal;
    private final long totalSteps, firstStep;
    private final long startNanos = System.nanoTime();
    private boolean barShown;

    ProgressReporter(PrintStream out, boolean terminal, long totalSteps, long firstStep) {
        this.out = out;
        this.terminal = terminal;
        this.totalSteps = totalSteps;
        this.firstStep = firstStep;
    }

    /** True when {@code out} is the JVM's standard output and that is an interactive terminal. */
    static boolean isTerminal(PrintStream out) {
        java.io.Console c = System.console();
        return out == System.out && c != null && c.isTerminal();
    }

    /** After each optimizer step. */
    void stepDone(long step, double loss) {
        if (!terminal) return;
        long done = step;
        int filled = (int) (BAR * done / Math.max(1, totalSteps));
        String bar = "#".repeat(filled) + "-".repeat(BAR - filled);
        out.printf(Locale.ROOT, "\r[%s] %d/%d %3d%%  loss %.4f  %s<%s   ", bar, done, totalSteps, 100 * done / Math.max(1, totalSteps), loss,
                clock(elapsedSeconds()), clock(etaSeconds(step)));
        out.flush();
        barShown = true;
    }

    /** A line that stays (logged metrics, evaluation, saved checkpoints). */
    void line(String text, long step) {
        if (terminal && barShown) out.print("\r\033[K");
        out.println(terminal ? text : text + "  eta " + clock(etaSeconds(step)));
        barShown = false;
    }

    /** A line without ETA (start and end of the run). */
    void message(String text) {
        if (terminal && barShown) out.print("\r\033[K");
        out.println(text);
        barShown = false;
    }

    double elapsedSeconds() {
        return (System.nanoTime() - startNanos) / 1e9;
    }

    /** Remaining time from the mean time per step since this process started (resumed runs count from the resume). */
    double etaSeconds(long step) {
        long done = step - firstStep;
        if (done <= 0) return Double.NaN;
        return elapsedSeconds() / done * (totalSteps - step);
    }

    static String clock(double seconds) {
        if (!Double.isFinite(seconds)) return "?";
        long s = Math.round(seconds);
        return s >= 3600 ? String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
                : String.format(Locale.ROOT, "%02d:%02d", s / 60, s % 60);
    }
}
