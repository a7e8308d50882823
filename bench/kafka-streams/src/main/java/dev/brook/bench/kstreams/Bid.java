package dev.brook.bench.kstreams;

import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.type.LogicalType;
import java.io.IOException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;

/**
 * One Nexmark bid, the value of the Nexmark scenarios' input records:
 * {@code {"auction":1003,"bidder":1017,"price":2513,"channel":"Google","url":"...",
 * "dateTime":1765000000123,"extra":"..."}}. The record's timestamp is its {@code dateTime}.
 */
record Bid(long auction, long bidder, long price, String channel, String url, long dateTime, String extra) {

    /**
     * Reads bids strictly: all seven fields, none null, integers where the bid has numbers
     * (no floats, no numbers in strings, none beyond a long), strings where it has strings,
     * each field once, nothing after the object. Fields a bid does not have are ignored.
     * Writes the seven fields. Shared by every Nexmark scenario: it reads {@link Person}s and
     * {@link Auction}s the same way, and writes the results.
     */
    static final ObjectMapper JSON = JsonMapper.builder()
            .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
            .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_MISSING_CREATOR_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_CREATOR_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .withCoercionConfig(LogicalType.Textual, strings -> strings
                    .setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
                    .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
                    .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail))
            .build();

    /**
     * JSON both ways. A value that is not a bid throws SerializationException, so the
     * deserialization exception handler (log and continue, see {@link Main#config}) skips
     * its record; null stays null.
     */
    static final Serde<Bid> SERDE = Serdes.serdeFrom(
            (topic, bid) -> bid == null ? null : json(bid),
            (topic, bytes) -> bytes == null ? null : read(bytes));

    Bid withPrice(long newPrice) {
        return new Bid(auction, bidder, newPrice, channel, url, dateTime, extra);
    }

    static Bid read(byte[] bytes) {
        return read(bytes, Bid.class, "a bid");
    }

    /**
     * One Nexmark event of {@code type} read with the mapper above. Anything else throws
     * SerializationException "not {@code what}: ..." ({@code what}: "a bid", say) with
     * Jackson's reason, which names the field at fault.
     */
    static <T> T read(byte[] bytes, Class<T> type, String what) {
        T event;
        try {
            event = JSON.readValue(bytes, type);
        } catch (IOException e) {
            throw new SerializationException("not " + what + ": " + e.getMessage(), e);
        }
        if (event == null) { // the JSON literal null
            throw new SerializationException("not " + what + ": null");
        }
        return event;
    }

    /** {@code value} as JSON, with the mapper above: a bid, or a Nexmark scenario's result. */
    static byte[] json(Object value) {
        try {
            return JSON.writeValueAsBytes(value);
        } catch (IOException e) {
            throw new SerializationException("cannot write " + value + " as JSON", e);
        }
    }
}
