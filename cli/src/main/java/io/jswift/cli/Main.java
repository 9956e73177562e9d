package io.jswift.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code jswift} command. Subcommands follow ms-swift's names and flags (underscores as there).
 * Errors print one line (what, where, what to do) and exit non-zero; {@code --verbose} adds the trace.
 */
@Command(name = "jswift",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        description = "Fine-tune and serve LLMs and vision models on the JVM.",
        subcommands = {EnvCommand.class, InferCommand.class, DeployCommand.class, LogitsCommand.class, ExportCommand.class, TokenizeCommand.class, TemplateCommand.class, PtCommand.class, SftCommand.class, RlhfCommand.class, NewModelCommand.class, CommandLine.HelpCommand.class})
public final class Main implements java.util.concurrent.Callable<Integer> {
    @CommandLine.Option(names = "--list_devices", description = "List the compute backends and their devices, or why one is unavailable (as jswift env).")
    boolean listDevices;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** Without a subcommand: the device list with --list_devices, else the usage (exit 2). */
    @Override
    public Integer call() {
        if (listDevices) return new EnvCommand().call();
        spec.commandLine().usage(spec.commandLine().getErr());
        return ErrorReporter.EXIT_USAGE;
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the CLI and returns the exit code (tests call this instead of {@link #main}). */
    public static int run(String... args) {
        return run(new java.io.PrintWriter(System.err, true), args);
    }

    /** Runs the CLI with error messages going to {@code err}. */
    public static int run(java.io.PrintWriter err, String... args) {
        CommandLine cli = new CommandLine(new Main());
        cli.setErr(err);
        cli.setExecutionExceptionHandler(new ErrorReporter());
        cli.setParameterExceptionHandler(ErrorReporter::onBadArguments);
        try {
            return cli.execute(args);
        } catch (OutOfMemoryError e) {
            // picocli hands only Exceptions to the handler; an Error would end the JVM with a bare stack trace
            return ErrorReporter.onOutOfMemory(e, err, args);
        }
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[]{"jswift " + (v == null ? "(development build)" : v)
                    + " on Java " + Runtime.version()};
        }
    }
}
