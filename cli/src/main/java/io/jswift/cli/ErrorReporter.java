package io.jswift.cli;

import picocli.CommandLine;

import java.io.PrintWriter;
import java.util.Arrays;

/**
 * Turns exceptions into one clear line on stderr ("jswift sft: error: ...") and a non-zero exit code.
 * The stack trace is printed only with {@code --verbose} (anywhere on the command line).
 */
final class ErrorReporter implements CommandLine.IExecutionExceptionHandler {
    static final int EXIT_ERROR = 1;
    static final int EXIT_USAGE = 2;

    @Override
    public int handleExecutionException(Exception e, CommandLine cmd, CommandLine.ParseResult parsed) {
        PrintWriter err = cmd.getErr();
        err.println(cmd.getCommandName() + ": error: " + describe(e));
        if (verbose(parsed)) {
            e.printStackTrace(err);
        } else {
            err.println("(run with --verbose for the stack trace)");
        }
        err.flush();
        return EXIT_ERROR;
    }

    static int onBadArguments(CommandLine.ParameterException e, String[] args) {
        CommandLine cmd = e.getCommandLine();
        PrintWriter err = cmd.getErr();
        err.println(cmd.getCommandName() + ": error: " + e.getMessage());
        err.println("Run '" + cmd.getCommandSpec().qualifiedName() + " --help' for the options.");
        if (Arrays.asList(args).contains("--verbose")) e.printStackTrace(err);
        err.flush();
        return EXIT_USAGE;
    }

    /**
     * Out of memory: one line naming the limit that was hit and how to raise it (the {@code jswift} script passes
     * {@code JSWIFT_JAVA_OPTS} to the JVM), instead of the JVM's bare stack trace. The failed allocation is unreachable by
     * now, so printing this does not need the memory that ran out.
     */
    static int onOutOfMemory(OutOfMemoryError e, PrintWriter err, String... args) {
        err.println(commandName(args) + ": error: " + outOfMemoryMessage(e, Runtime.getRuntime().maxMemory()));
        if (Arrays.asList(args).contains("--verbose")) e.printStackTrace(err);
        err.flush();
        return EXIT_ERROR;
    }

    static String outOfMemoryMessage(OutOfMemoryError e, long maxHeapBytes) {
        String what = e.getMessage() == null || e.getMessage().isBlank() ? "OutOfMemoryError" : e.getMessage();
        return String.format(java.util.Locale.ROOT, "out of memory (%s; this JVM may use at most %.1f GiB of heap): "
                + "raise the limit with JSWIFT_JAVA_OPTS=-Xmx<size>, e.g. JSWIFT_JAVA_OPTS=-Xmx16g, or use a smaller model, "
                + "batch or --max_length", what, maxHeapBytes / (double) (1L << 30));
    }

    /** The subcommand (the first argument that is not an option) as the other error lines name it, else "jswift". */
    private static String commandName(String... args) {
        for (String a : args) if (!a.startsWith("-")) return a;
        return "jswift";
    }

    /** The exception's message, or its type when it has none; causes are appended when they add information. */
    static String describe(Throwable e) {
        StringBuilder sb = new StringBuilder(message(e));
        for (Throwable c = e.getCause(); c != null && c != c.getCause(); c = c.getCause()) {
            String m = message(c);
            if (!sb.toString().contains(m)) sb.append(": ").append(m);
        }
        return sb.toString();
    }

    private static String message(Throwable e) {
        String m = e.getMessage();
        return m == null || m.isBlank() ? e.getClass().getSimpleName() : m;
    }

    private static boolean verbose(CommandLine.ParseResult parsed) {
        for (CommandLine.ParseResult p = parsed; p != null; p = p.subcommand()) {
            if (p.originalArgs().contains("--verbose")) return true;
        }
        return false;
    }
}
