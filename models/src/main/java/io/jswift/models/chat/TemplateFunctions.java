package io.jswift.models.chat;

import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/** Functions transformers exposes to chat templates. */
public final class TemplateFunctions {
    private TemplateFunctions() {}

    /** A template's explicit error (e.g. "Conversation roles must alternate"). */
    public static final class TemplateException extends RuntimeException {
        TemplateException(String message) {
            super(message);
        }
    }

    public static String raiseException(String message) {
        throw new TemplateException(message);
    }

    /** Python strftime subset (%d %b %Y %m %H %M %S %B) of the current local time. */
    public static String strftimeNow(String format) {
        String pattern = format.replace("%d", "dd").replace("%b", "MMM").replace("%B", "MMMM").replace("%Y", "yyyy")
                .replace("%m", "MM").replace("%H", "HH").replace("%M", "mm").replace("%S", "ss");
        return LocalDateTime.now().format(DateTimeFormatter.ofPattern(pattern, Locale.ENGLISH));
    }
}
