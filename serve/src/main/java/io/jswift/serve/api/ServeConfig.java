package io.jswift.serve.api;

import io.jswift.serve.engine.EngineConfig;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * How the server is reached and limited (the `jswift deploy` flags). modelIds: the names of the base model (LoRA adapters are served under their own names besides; the
 * first is reported first by /v1/models); apiKey null: no key needed; maxNewTokens 0: unset (a reply may use what
 * max_model_len leaves); maxBodyBytes: larger request bodies get 413; engine: batch, queue and length limits;
 * allowedLocalMediaPath: the directory whose image files requests may name (file paths / file:// URLs; vLLM's
 * --allowed-local-media-path; kept as its real path, symbolic links resolved), null: none (a request reads no file of
 * the server's).
 */
public record ServeConfig(String host, int port, List<String> modelIds, String apiKey, int maxNewTokens, int maxBodyBytes,
                          EngineConfig engine, Path allowedLocalMediaPath) {
    public static final int DEFAULT_MAX_BODY_BYTES = 4 << 20;

    /** A server that reads no local image files (data URLs only). */
    public ServeConfig(String host, int port, List<String> modelIds, String apiKey, int maxNewTokens, int maxBodyBytes, EngineConfig engine) {
        this(host, port, modelIds, apiKey, maxNewTokens, maxBodyBytes, engine, null);
    }

    public ServeConfig {
        modelIds = List.copyOf(modelIds);
        if (modelIds.isEmpty()) throw new IllegalArgumentException("the server needs at least one model name");
        if (port < 0 || port > 65535) throw new IllegalArgumentException("--port must be in [0, 65535], got " + port);
        if (maxNewTokens < 0) throw new IllegalArgumentException("--max_new_tokens must be >= 1, got " + maxNewTokens);
        if (maxBodyBytes < 1024) throw new IllegalArgumentException("the body limit must be at least 1 KiB, got " + maxBodyBytes);
        if (apiKey != null && apiKey.isEmpty()) throw new IllegalArgumentException("--api_key must not be empty");
        if (allowedLocalMediaPath != null) {
            if (!Files.isDirectory(allowedLocalMediaPath)) throw new IllegalArgumentException("--allowed_local_media_path " + allowedLocalMediaPath + " is not a directory");
            try { // its real path: a file is allowed when its own real path lies under it (Requests.checkImageSource)
                allowedLocalMediaPath = allowedLocalMediaPath.toRealPath();
            } catch (IOException e) {
                throw new IllegalArgumentException("--allowed_local_media_path " + allowedLocalMediaPath + " cannot be resolved: " + e.getMessage(), e);
            }
        }
    }
}
