package io.jswift.models.vision.image;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SmartResizeTest {
    /** Every case of smart_resize.json, computed by transformers' smart_resize. */
    @Test
    void equalsTransformersOnTheFixtureCases() throws Exception {
        JsonNode cases = new ObjectMapper().readTree(ImageFixtures.dir().resolve("smart_resize.json").toFile());
        int errors = 0;
        for (JsonNode c : cases) {
            int h = c.get("height").asInt(), w = c.get("width").asInt(), factor = c.get("factor").asInt();
            long lo = c.get("min_pixels").asLong(), hi = c.get("max_pixels").asLong();
            String where = h + "x" + w + " factor " + factor + " [" + lo + ", " + hi + "]";
            if (c.has("error")) {
                var e = assertThrows(IllegalArgumentException.class, () -> SmartResize.of(h, w, factor, lo, hi), where);
                assertTrue(e.getMessage().contains("aspect ratio must be smaller than 200"), e.getMessage());
                errors++;
            } else {
                assertEquals(new SmartResize(c.get("expected").get(0).asInt(), c.get("expected").get(1).asInt()),
                        SmartResize.of(h, w, factor, lo, hi), where);
            }
        }
        assertTrue(cases.size() >= 20 && errors == 1);
    }

    /** Python's round(): halves go to the even neighbour (1.5 -> 2, 2.5 -> 2, 3.5 -> 4, 4.5 -> 4), never always up. */
    @Test
    void roundsHalvesToEven() {
        long lo = 1, hi = Long.MAX_VALUE;
        assertEquals(new SmartResize(56, 56), SmartResize.of(42, 42, 28, lo, hi));     // 1.5 -> 2
        assertEquals(new SmartResize(56, 56), SmartResize.of(70, 70, 28, lo, hi));     // 2.5 -> 2 (half-up would give 84)
        assertEquals(new SmartResize(112, 112), SmartResize.of(98, 126, 28, lo, hi));  // 3.5 -> 4, 4.5 -> 4
        assertEquals(new SmartResize(168, 224), SmartResize.of(182, 238, 28, lo, hi)); // 6.5 -> 6, 8.5 -> 8
    }

    @Test
    void belowMinPixelsScalesUpAndAboveMaxScalesDown() {
        assertEquals(new SmartResize(56, 84), SmartResize.of(30, 40, 28, 3136, 12845056));
        SmartResize big = SmartResize.of(4000, 3000, 28, 3136, 1003520);
        assertTrue((long) big.height() * big.width() <= 1003520 && big.height() % 28 == 0 && big.width() % 28 == 0, big.toString());
    }
}
