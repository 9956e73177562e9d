package io.jswift.serve;

import io.jswift.models.CausalLm;
import io.jswift.models.generate.GenerationSession;
import io.jswift.models.load.LoadedModel;
import io.jswift.models.load.ModelLoader;
import io.jswift.serve.api.ServeConfig;
import io.jswift.serve.engine.EngineConfig;

import java.nio.file.Path;
import java.util.List;

/** A server on a random loopback port over a model directory, plus a separate session over the same files for expectations. */
final class LiveServer implements AutoCloseable {
    static final String MODEL = "tiny";

    final OpenAiServer server;
    final GenerationSession reference;

    LiveServer(Path modelDir, String apiKey, int maxNumSeqs, int maxWaiting, int maxModelLen, int maxNewTokens) throws Exception {
        server = new OpenAiServer(GenerationSession.open(modelDir, load(modelDir)),
                new ServeConfig("127.0.0.1", 0, List.of(MODEL), apiKey, maxNewTokens, ServeConfig.DEFAULT_MAX_BODY_BYTES,
                        new EngineConfig(maxNumSeqs, maxWaiting, maxModelLen, EngineConfig.DEFAULT_MAX_NUM_BATCHED_TOKENS))).start();
        reference = GenerationSession.open(modelDir, load(modelDir));
    }

    static CausalLm load(Path dir) throws Exception {
        return ((LoadedModel.CausalLm) ModelLoader.load(dir, false)).model();
    }

    String baseUrl() { return "http://127.0.0.1:" + server.port(); }

    @Override
    public void close() throws Exception {
        server.close();
    }
}
