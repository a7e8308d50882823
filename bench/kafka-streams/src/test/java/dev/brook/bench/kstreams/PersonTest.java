package dev.brook.bench.kstreams;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class PersonTest {

    static final String VALID = "{\"id\":1001,\"name\":\"Peter Jones\",\"emailAddress\":\"pj@example.com\","
            + "\"creditCard\":\"1234 5678 9012 3456\",\"city\":\"Boise\",\"state\":\"ID\","
            + "\"dateTime\":1765000000123,\"extra\":\"xx\"}";

    private static Person read(String json) {
        return Person.SERDE.deserializer().deserialize("t", json.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void readsAndWritesTheEightFields() throws Exception {
        Person person = read(VALID);
        assertEquals(new Person(1001, "Peter Jones", "pj@example.com", "1234 5678 9012 3456", "Boise", "ID",
                1765000000123L, "xx"), person);
        assertEquals(Bid.JSON.readTree(VALID), Bid.JSON.readTree(Person.SERDE.serializer().serialize("t", person)));
    }

    @Test
    void ignoresFieldsAPersonDoesNotHave() {
        assertEquals(read(VALID), read(VALID.replace("}", ",\"other\":{\"a\":[1]}}")));
    }

    @Test
    void nullStaysNull() {
        assertNull(Person.SERDE.deserializer().deserialize("t", null));
        assertNull(Person.SERDE.serializer().serialize("t", null));
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "not json",
        "",
        "null",
        "[1,2]",
        "{\"id\":1001}",
        "{\"id\":1001,\"name\":\"n\",\"emailAddress\":\"e\",\"creditCard\":\"c\",\"city\":\"b\",\"state\":\"ID\","
                + "\"dateTime\":1} {}",
    })
    void rejectsWhatIsNotAPerson(String json) {
        assertThrows(SerializationException.class, () -> read(json));
    }

    /** Each field missing, null, of the wrong type or given twice: refused, naming the field. */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "\"id\":1001,|",
        "\"id\":1001|\"id\":null",
        "\"id\":1001|\"id\":\"1001\"",
        "\"id\":1001|\"id\":1001.5",
        "\"id\":1001|\"id\":1e3",
        "\"id\":1001|\"id\":true",
        "\"id\":1001|\"id\":99999999999999999999",
        "\"id\":1001|\"id\":1,\"id\":2",
        "\"name\":\"Peter Jones\",|",
        "\"name\":\"Peter Jones\"|\"name\":7",
        "\"name\":\"Peter Jones\"|\"name\":null",
        "\"name\":\"Peter Jones\"|\"name\":\"a\",\"name\":\"b\"",
        "\"emailAddress\":\"pj@example.com\"|\"emailAddress\":[]",
        "\"creditCard\":\"1234 5678 9012 3456\"|\"creditCard\":1234",
        "\"city\":\"Boise\"|\"city\":false",
        "\"state\":\"ID\"|\"state\":{}",
        "\"dateTime\":1765000000123|\"dateTime\":\"1765000000123\"",
        ",\"extra\":\"xx\"|",
        "\"extra\":\"xx\"|\"extra\":1",
    })
    void rejectsAFieldThatIsWrong(String field, String replacement) {
        String json = VALID.replace(field, replacement == null ? "" : replacement);
        SerializationException e = assertThrows(SerializationException.class, () -> read(json), json);
        String name = field.substring(field.indexOf('"') + 1, field.indexOf('"', field.indexOf('"') + 1));
        assertTrue(e.getMessage().startsWith("not a person: "), e.getMessage());
        // Jackson names the field as 'name' (missing, duplicate) or as Type["name"] (its value).
        assertTrue(e.getMessage().contains("'" + name + "'") || e.getMessage().contains("[\"" + name + "\"]"),
                e.getMessage());
    }
}
