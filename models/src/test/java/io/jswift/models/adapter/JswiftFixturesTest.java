package io.jswift.models.adapter;

import io.jswift.models.CausalLm;
import io.jswift.nn.lora.LoraMerge;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.io.SafetensorsFile;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

import static io.jswift.tensor.testing.TensorAssert.relL2;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What jswift writes is what PEFT and transformers read: the committed jswift-* adapters and exports, loaded by PEFT /
 * transformers (tools/fixtures/make_peft_adapters.py), give the logits jswift computes; and jswift still writes
 * exactly those files (same keys, shapes, dtypes, values, adapter_config.json text).
 */
class JswiftFixturesTest {
    private static final String REGENERATE = "jswift.regenerateFixtures";

    @TempDir
    Path tmp;

    /** -Djswift.regenerateFixtures=true rewrites the committed jswift-* fixtures; then run make_peft_adapters.py again. */
    @Test
    void regenerate() throws IOException {
        Assumptions.assumeTrue(Boolean.getBoolean(REGENERATE), "set -D" + REGENERATE + "=true to rewrite the fixtures");
        Path root = Path.of("src/test/resources/adapters").toAbsolutePath();
        for (var spec : JswiftFixtures.ADAPTERS) {
            deleteRecursively(root.resolve(spec.name()));
            JswiftFixtures.writeAdapter(spec, root.resolve(spec.name()));
        }
        for (var spec : JswiftFixtures.EXPORTS) {
            deleteRecursively(root.resolve(spec.name()));
            JswiftFixtures.writeExport(spec, root.resolve(spec.adapter()), root.resolve(spec.name()));
        }
    }

    @Test
    void jswiftStillWritesTheCommittedAdaptersAndExports() throws IOException {
        for (var spec : JswiftFixtures.ADAPTERS) {
            Path fresh = tmp.resolve(spec.name());
            JswiftFixtures.writeAdapter(spec, fresh);
            Path committed = AdapterFixtures.adapter(spec.name());
            assertEquals(Files.readString(committed.resolve(PeftAdapterConfig.FILE)), Files.readString(fresh.resolve(PeftAdapterConfig.FILE)),
                    spec.name() + " adapter_config.json");
            assertSameTensors(committed.resolve(PeftAdapter.WEIGHTS), fresh.resolve(PeftAdapter.WEIGHTS));
        }
        for (var spec : JswiftFixtures.EXPORTS) {
            Path fresh = tmp.resolve(spec.name());
            JswiftFixtures.writeExport(spec, AdapterFixtures.adapter(spec.adapter()), fresh);
            Path committed = AdapterFixtures.adapter(spec.name());
            assertEquals(files(committed).stream().filter(f -> !f.endsWith("_expected.safetensors")).toList(), files(fresh), spec.name() + " files");
            assertEquals(Files.readString(committed.resolve("config.json")), Files.readString(fresh.resolve("config.json")));
            assertSameTensors(committed.resolve("model.safetensors"), fresh.resolve("model.safetensors"));
        }
    }

    /** PEFT's PeftModel.from_pretrained on jswift's files computes jswift's logits, unmerged and merged. */
    @Test
    void peftReadsJswiftAdaptersWithTheSameNumbers() throws IOException {
        for (var spec : JswiftFixtures.ADAPTERS) {
            Path dir = AdapterFixtures.adapter(spec.name());
            SafetensorsFile peft = SafetensorsFile.open(dir.resolve("peft_expected.safetensors"));
            CausalLm model = AdapterFixtures.load(AdapterFixtures.model(spec.base()));
            PeftAdapter.load(dir, model);
            Tensor ids = peft.tensor("input_ids");
            double err = relL2(PeftGoldenTest.logits(model, ids), peft.tensor("logits"));
            assertTrue(err < 1e-4, spec.name() + " logits vs PEFT: rel. L2 " + err);
            LoraMerge.mergeAndUnload(model);
            double tolerance = spec.base().endsWith("bf16") ? 1e-2 : 1e-4; // jswift rounds merged weights to bf16, PEFT's reference is f32
            err = relL2(PeftGoldenTest.logits(model, ids), peft.tensor("merged_logits"));
            assertTrue(err < tolerance, spec.name() + " merged logits vs PEFT: rel. L2 " + err);
        }
    }

    /** transformers' from_pretrained on jswift's merged export computes what jswift computes on it. */
    @Test
    void transformersReadsJswiftExportsWithTheSameNumbers() throws IOException {
        for (var spec : JswiftFixtures.EXPORTS) {
            Path dir = AdapterFixtures.adapter(spec.name());
            SafetensorsFile hf = SafetensorsFile.open(dir.resolve("transformers_expected.safetensors"));
            Tensor ids = hf.tensor("input_ids");
            double err = relL2(PeftGoldenTest.logits(AdapterFixtures.load(dir), ids), hf.tensor("logits"));
            assertTrue(err < 1e-4, spec.name() + " logits vs transformers: rel. L2 " + err);
        }
    }

    static void assertSameTensors(Path expectedFile, Path actualFile) throws IOException {
        SafetensorsFile expected = SafetensorsFile.open(expectedFile), actual = SafetensorsFile.open(actualFile);
        assertEquals(expected.names().stream().sorted().toList(), actual.names().stream().sorted().toList(), actualFile + " keys");
        assertEquals(expected.metadata(), actual.metadata(), actualFile + " metadata");
        for (String name : expected.names()) {
            Tensor e = expected.tensor(name), a = actual.tensor(name);
            assertEquals(e.dtype(), a.dtype(), name + " dtype");
            assertArrayEquals(e.shape(), a.shape(), name + " shape");
            // equal up to rounding: SIMD kernels may round differently before and after JIT compilation, which can move a
            // bf16 value by one unit in the last place
            double tolerance = e.dtype() == io.jswift.tensor.DType.F32 ? 1e-6 : 1e-3;
            double err = relL2(a, e);
            assertTrue(err <= tolerance, name + " values differ: rel. L2 " + err);
        }
    }

    private static List<String> files(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    private static void deleteRecursively(Path p) throws IOException {
        if (!Files.exists(p)) return;
        try (Stream<Path> walk = Files.walk(p)) {
            for (Path q : walk.sorted(Comparator.reverseOrder()).toList()) Files.delete(q);
        }
    }
}
