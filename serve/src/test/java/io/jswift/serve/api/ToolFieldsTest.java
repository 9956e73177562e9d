package io.jswift.serve.api;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** tools / tool_choice / parallel_tool_calls: accepted shapes, and a 400 naming the field for each malformed one. */
class ToolFieldsTest {
    private static final String TOOL = "{\"type\": \"function\", \"function\": {\"name\": \"get_weather\", \"description\": \"Weather now\","
            + " \"parameters\": {\"type\": \"object\", \"properties\": {\"city\": {\"type\": \"string\"}}, \"required\": [\"city\"]}, \"strict\": true}}";

    private static ObjectNode body(String json) {
        return Json.parseObject(json.getBytes());
    }

    @Test
    void toolsGoToTheTemplateAndRepliesAreParsedUnlessToolChoiceIsNone() {
        ToolFields.Tools t = ToolFields.parse(body("{\"tools\": [" + TOOL + "]}"));
        assertTrue(t.parseCalls());
        assertTrue(t.parallel());
        assertEquals("get_weather", ((Map<?, ?>) t.forTemplate().getFirst().get("function")).get("name"));
        assertTrue(ToolFields.parse(body("{\"tools\": [" + TOOL + "], \"tool_choice\": \"auto\"}")).parseCalls());
        assertFalse(ToolFields.parse(body("{\"tools\": [" + TOOL + "], \"parallel_tool_calls\": false}")).parallel());
        ToolFields.Tools none = ToolFields.parse(body("{\"tools\": [" + TOOL + "], \"tool_choice\": \"none\"}"));
        assertFalse(none.parseCalls());
        assertNull(none.forTemplate());
        assertFalse(ToolFields.parse(body("{}")).parseCalls());
    }

    @Test
    void malformedToolFieldsAre400sNamingTheField() {
        Map<String, String> cases = Map.ofEntries(
                Map.entry("{\"tools\": {}}", "tools"),
                Map.entry("{\"tools\": []}", "tools"),
                Map.entry("{\"tools\": [3]}", "tools[0]"),
                Map.entry("{\"tools\": [{\"type\": \"code_interpreter\"}]}", "tools[0].type"),
                Map.entry("{\"tools\": [{\"type\": \"function\"}]}", "tools[0].function"),
                Map.entry("{\"tools\": [{\"type\": \"function\", \"function\": {\"name\": \"has space\"}}]}", "tools[0].function.name"),
                Map.entry("{\"tools\": [{\"type\": \"function\", \"function\": {}}]}", "tools[0].function.name"),
                Map.entry("{\"tools\": [" + TOOL + ", " + TOOL + "]}", "tools[1].function.name"),
                Map.entry("{\"tools\": [{\"type\": \"function\", \"function\": {\"name\": \"f\", \"parameters\": \"x\"}}]}", "tools[0].function.parameters"),
                Map.entry("{\"tools\": [{\"type\": \"function\", \"function\": {\"name\": \"f\", \"description\": 1}}]}", "tools[0].function.description"),
                Map.entry("{\"tools\": [{\"type\": \"function\", \"function\": {\"name\": \"f\", \"strict\": \"yes\"}}]}", "tools[0].function.strict"),
                Map.entry("{\"tool_choice\": \"auto\"}", "tool_choice"),
                Map.entry("{\"tools\": [" + TOOL + "], \"tool_choice\": \"always\"}", "tool_choice"),
                Map.entry("{\"tools\": [" + TOOL + "], \"tool_choice\": \"required\"}", "tool_choice"),
                Map.entry("{\"tools\": [" + TOOL + "], \"tool_choice\": {\"type\": \"function\", \"function\": {\"name\": \"other\"}}}", "tool_choice"),
                Map.entry("{\"tools\": [" + TOOL + "], \"tool_choice\": {\"type\": \"function\", \"function\": {\"name\": \"get_weather\"}}}", "tool_choice"),
                Map.entry("{\"tools\": [" + TOOL + "], \"tool_choice\": 5}", "tool_choice"),
                Map.entry("{\"tools\": [" + TOOL + "], \"parallel_tool_calls\": \"no\"}", "parallel_tool_calls"));
        cases.forEach((json, param) -> {
            ApiError e = assertThrows(ApiError.class, () -> ToolFields.parse(body(json)), json);
            assertEquals(400, e.status(), json);
            Map<?, ?> error = (Map<?, ?>) e.body().get("error");
            assertEquals(param, error.get("param"), json + ": " + e.getMessage());
            assertEquals("invalid_request_error", error.get("type"), json);
        });
    }
}
