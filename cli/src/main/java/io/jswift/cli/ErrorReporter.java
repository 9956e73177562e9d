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
