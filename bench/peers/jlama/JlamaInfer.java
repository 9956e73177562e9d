// Jlama side of the inference benchmark (bench/peers/pytorch_infer.py is PyTorch's, InferenceBench jswift's): the same
// model directory (plus a tokenizer, which Jlama requires), a 128-token prompt, 32 greedy tokens; best of 3.
// Run (outside the jswift build; Jlama is only a peer):
//   (cd bench/peers/jlama && mvn -q dependency:copy-dependencies -DoutputDirectory=lib)
//   cp models/src/test/resources/tokenizers/llama3/tokenizer*.json /tmp/llama1b/
//   java --add-modules jdk.incubator.vector -cp "bench/peers/jlama/lib/*" bench/peers/jlama/JlamaInfer.java /tmp/llama1b
import com.github.tjake.jlama.model.AbstractModel;
import com.github.tjake.jlama.model.ModelSupport;
import com.github.tjake.jlama.model.functions.Generator;
import com.github.tjake.jlama.safetensors.DType;
import com.github.tjake.jlama.safetensors.prompt.PromptContext;

import java.io.File;
import java.util.UUID;

public class JlamaInfer {
    public static void main(String[] args) throws Exception {
        AbstractModel model = ModelSupport.loadModel(new File(args[0]), DType.F32, DType.BF16);
        StringBuilder text = new StringBuilder();
        while (model.getTokenizer().encode(text.toString()).length < 128) text.append(" the quick brown fox jumps over the lazy dog");
        double bestPrefill = 0, bestDecode = 0;
        int promptTokens = 0, generated = 0;
        for (int rep = 0; rep < 3; rep++) {
            Generator.Response r = model.generate(UUID.randomUUID(), PromptContext.of(text.toString()), 0.0f, 32 + 129, (s, f) -> {});
            promptTokens = r.promptTokens;
            generated = r.generatedTokens;
            bestPrefill = Math.max(bestPrefill, r.promptTokens * 1000.0 / Math.max(1, r.promptTimeMs));
            bestDecode = Math.max(bestDecode, r.generatedTokens * 1000.0 / Math.max(1, r.generateTimeMs));
        }
        long rss = 0;
        for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/status"))) {
            if (line.startsWith("VmHWM:")) rss = Long.parseLong(line.replaceAll("\\D", ""));
        }
        System.out.printf("jlama 0.8.4: prompt %d tokens, prefill %.1f tok/s; %d generated, decode %.2f tok/s; peak RSS %.2f GiB%n",
                promptTokens, bestPrefill, generated, bestDecode, rss / 1048576.0);
    }
}
