package io.jswift.tensor.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jswift.tensor.Tensor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The weights of a Hugging Face model directory: {@code model.safetensors}, or the shards listed by
 * {@code model.safetensors.index.json} (weight_map: tensor → shard file). All tensors stay memory-mapped.
 */
public final class CheckpointDir {
    private CheckpointDir() {}

    public static Map<String, Tensor> load(Path dir) throws IOException {
        Path single = dir.resolve("model.safetensors"), index = dir.resolve("model.safetensors.index.json");
        if (Files.exists(index)) return loadSharded(dir, index);
        if (Files.exists(single)) return SafetensorsFile.open(single).tensors();
        throw new SafetensorsException(dir, "no model.safetensors or model.safetensors.index.json in this directory");
    }

    private static Map<String, Tensor> loadSharded(Path dir, Path index) throws IOException {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(Files.readString(index));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new SafetensorsException(index, "not valid JSON: " + e.getOriginalMessage());
        }
        JsonNode map = root == null ? null : root.get("weight_map");
        if (map == null || !map.isObject()) throw new SafetensorsException(index, "missing 'weight_map' object");
        Map<String, SafetensorsFile> shards = new LinkedHashMap<>();
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = map.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String shardName = e.getValue().asText();
            if (shardName.contains("/") || shardName.contains("\\")) throw new SafetensorsException(index, "shard name '" + shardName + "' must be a plain file name");
            SafetensorsFile shard = shards.get(shardName);
            if (shard == null) {
                Path p = dir.resolve(shardName);
                if (!Files.exists(p)) throw new SafetensorsException(index, "shard '" + shardName + "' listed for tensor '" + e.getKey() + "' does not exist");
                shard = SafetensorsFile.open(p);
                shards.put(shardName, shard);
            }
            if (!shard.contains(e.getKey())) throw new SafetensorsException(shard.path(), "tensor '" + e.getKey() + "' listed in the index is not in this shard");
            out.put(e.getKey(), shard.tensor(e.getKey()));
        }
        Map<String, String> seenIn = new LinkedHashMap<>();
        for (SafetensorsFile shard : shards.values()) {
            for (String name : shard.names()) {
                String previous = seenIn.putIfAbsent(name, shard.path().getFileName().toString());
                if (previous != null) {
                    throw new SafetensorsException(shard.path(), "tensor '" + name + "' is also stored in " + previous);
                }
                if (!out.containsKey(name)) throw new SafetensorsException(shard.path(), "tensor '" + name + "' is not listed in " + index.getFileName());
            }
        }
        return out;
    }
}
